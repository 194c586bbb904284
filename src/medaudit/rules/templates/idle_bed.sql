-- 挂床住院 (D3): per discharged stay and fee day inside the stay, whether every chargeable line of the
-- day is a bed (01 床位费) or 诊察 (02 诊察费) charge; stays with more such days than the parameter
-- offend. Self-paid lines count for what happened on a day, but only fund-billable lines are at risk.
SELECT p.instance_id, e.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       CAST(SUM(d.paid_fen) AS BIGINT) AS amount_fen, 'param:max_idle_days' AS kb_ref,
       e.los_days, e.adm_dn, e.dscg_dn,
       COUNT(*) AS idle_days, MIN(d.fee_dn) AS first_idle_dn, MAX(d.fee_dn) AS last_idle_dn, p.max_idle_days
FROM (
  SELECT l.mdtrt_id, l.fee_dn, COUNT(*) AS n_lines,
         SUM(CASE WHEN l.med_chrgitm_type IN ('01', '02') THEN 1 ELSE 0 END) AS n_idle_lines,
         CAST(SUM(CASE WHEN l.selfpay_flag THEN 0 ELSE l.amt_fen END) AS BIGINT) AS paid_fen
  FROM line_ctx l
  JOIN enc_ctx s ON s.mdtrt_id = l.mdtrt_id
  WHERE l.visit_type = 'inpatient'
    AND s.dscg_time IS NOT NULL
    AND l.fee_dn >= s.adm_dn AND l.fee_dn <= s.dscg_dn
  GROUP BY l.mdtrt_id, l.fee_dn
) d
JOIN enc_ctx e ON e.mdtrt_id = d.mdtrt_id
CROSS JOIN params p
WHERE d.n_idle_lines = d.n_lines
GROUP BY p.instance_id, e.mdtrt_id, e.los_days, e.adm_dn, e.dscg_dn, p.max_idle_days
HAVING COUNT(*) > p.max_idle_days
