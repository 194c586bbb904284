-- 住院天数异常: the excess days' pro-rata share of the stay's fund payment.
SELECT p.instance_id, e.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       COALESCE(e.fund_pay_fen, 0) * (e.los_days - p.max_los_days) // e.los_days AS amount_fen,
       'param:max_los_days' AS kb_ref,
       e.adm_dn, e.dscg_dn, e.los_days, p.max_los_days
FROM enc_ctx e
CROSS JOIN params p
WHERE e.visit_type = 'inpatient'
  AND e.los_days > p.max_los_days
