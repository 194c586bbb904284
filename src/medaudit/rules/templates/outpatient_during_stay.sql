-- 住院期间门诊或药店购药: non-inpatient encounters self-joined to the patient's stays on psn_no.
SELECT p.instance_id, t.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       t.fund_pay_fen AS amount_fen, CAST(NULL AS VARCHAR) AS kb_ref,
       t.visit_zh, t.setl_dn, t.fixmedins_code, t.stay_mdtrt_id, t.stay_fixmedins_code,
       t.stay_adm_dn, t.stay_dscg_dn
FROM (
  SELECT o.mdtrt_id, COALESCE(o.fund_pay_fen, 0) AS fund_pay_fen, o.setl_dn, o.fixmedins_code,
         CASE o.visit_type WHEN 'outpatient' THEN '门诊' WHEN 'emergency' THEN '急诊'
              WHEN 'chronic' THEN '门慢门特' WHEN 'pharmacy' THEN '药店购药' ELSE o.visit_type END AS visit_zh,
         i.mdtrt_id AS stay_mdtrt_id, i.fixmedins_code AS stay_fixmedins_code,
         i.adm_dn AS stay_adm_dn, CASE WHEN i.stay_end_dn = 2147483647 THEN NULL ELSE i.dscg_dn END AS stay_dscg_dn,
         ROW_NUMBER() OVER (PARTITION BY o.mdtrt_id ORDER BY i.adm_dn, i.mdtrt_id) AS rn
  FROM (SELECT mdtrt_id, psn_no, fixmedins_code, visit_type, setl_dn, fund_pay_fen
        FROM enc_ctx WHERE visit_type <> 'inpatient' AND setl_dn IS NOT NULL) o
  JOIN (SELECT mdtrt_id, psn_no, fixmedins_code, adm_dn, dscg_dn, stay_end_dn
        FROM enc_ctx WHERE visit_type = 'inpatient') i
    ON i.psn_no = o.psn_no
  WHERE i.adm_dn < o.setl_dn AND o.setl_dn < i.stay_end_dn
) t
CROSS JOIN params p
WHERE t.rn = 1
