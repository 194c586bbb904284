-- 死亡后就医: encounter admitted after the patient's recorded date of death.
SELECT p.instance_id, e.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       COALESCE(e.fund_pay_fen, 0) AS amount_fen, 'patients:die_date' AS kb_ref,
       e.die_dn, e.adm_dn,
       CASE e.visit_type WHEN 'outpatient' THEN '门诊' WHEN 'emergency' THEN '急诊'
            WHEN 'chronic' THEN '门慢门特' WHEN 'pharmacy' THEN '药店购药' WHEN 'inpatient' THEN '住院'
            ELSE e.visit_type END AS visit_zh,
       e.fixmedins_code
FROM enc_ctx e
CROSS JOIN params p
WHERE e.die_dn IS NOT NULL
  AND e.adm_dn > e.die_dn
