-- 同时间出入院 (D6, cohort): discharged inpatient stays grouped by institution, admission day and
-- discharge day; every stay of a group of at least min_stays (and of at least min_los_days) offends.
SELECT p.instance_id, e.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       COALESCE(e.fund_pay_fen, 0) AS amount_fen, 'param:min_stays' AS kb_ref,
       e.adm_dn, e.dscg_dn, e.los_days, g.cohort_size, p.min_stays
FROM (
  SELECT fixmedins_code, adm_dn, dscg_dn, COUNT(*) AS cohort_size
  FROM enc_ctx
  WHERE visit_type = 'inpatient' AND dscg_time IS NOT NULL
  GROUP BY fixmedins_code, adm_dn, dscg_dn
) g
JOIN enc_ctx e ON e.fixmedins_code = g.fixmedins_code AND e.adm_dn = g.adm_dn AND e.dscg_dn = g.dscg_dn
CROSS JOIN params p
WHERE e.visit_type = 'inpatient'
  AND e.dscg_time IS NOT NULL
  AND g.cohort_size >= p.min_stays
  AND e.los_days >= p.min_los_days
