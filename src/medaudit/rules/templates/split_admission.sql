-- 分解住院: readmission to the same institution within max_gap_days of the previous discharge
-- (previous = the stay before it by admission day, ties by mdtrt_id).
SELECT p.instance_id, b.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       b.fund_pay_fen AS amount_fen, 'param:max_gap_days' AS kb_ref,
       b.prev_mdtrt_id, b.prev_dscg_dn, b.adm_dn,
       b.adm_dn - b.prev_dscg_dn AS gap_days, p.max_gap_days
FROM (
  SELECT e.mdtrt_id, e.adm_dn, e.fund_pay_fen,
         LAG(e.dscg_dn) OVER (PARTITION BY e.psn_no, e.fixmedins_code ORDER BY e.adm_dn, e.mdtrt_id) AS prev_dscg_dn,
         LAG(e.mdtrt_id) OVER (PARTITION BY e.psn_no, e.fixmedins_code ORDER BY e.adm_dn, e.mdtrt_id) AS prev_mdtrt_id
  FROM enc_ctx e
  WHERE e.visit_type = 'inpatient'
) b
CROSS JOIN params p
WHERE b.prev_dscg_dn IS NOT NULL
  AND b.adm_dn >= b.prev_dscg_dn
  AND b.adm_dn - b.prev_dscg_dn <= p.max_gap_days
