-- 费用集中上传 (B14, 可疑 variant): a stay of several days whose fund-paid lines all carry one fee
-- date — the fees were entered at once (typically at discharge) rather than day by day, so the
-- dates cannot support the daily charges. One finding per stay, on its first line (pinned order).
-- A stay not yet discharged has LOS 0 in enc_ctx, so the LOS floor (≥ 1) leaves it out.
WITH s AS (
  SELECT l.mdtrt_id, MIN(l.fee_dn) AS fee_dn, MAX(l.fee_dn) AS last_fee_dn,
         COUNT(*) AS n_lines, CAST(SUM(l.amt_fen) AS BIGINT) AS total_fen
  FROM line_ctx l
  WHERE l.visit_type = 'inpatient'
    AND NOT l.selfpay_flag
  GROUP BY l.mdtrt_id
),
f AS (
  SELECT l.mdtrt_id, l.line_id,
         ROW_NUMBER() OVER (PARTITION BY l.mdtrt_id ORDER BY l.fee_ocur_time, l.line_id) AS rn
  FROM line_ctx l
  WHERE NOT l.selfpay_flag
)
SELECT p.instance_id, s.mdtrt_id, f.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       s.total_fen AS amount_fen, 'param:min_los_days' AS kb_ref,
       e.los_days, e.adm_dn, e.dscg_dn, s.fee_dn, CAST(s.n_lines AS BIGINT) AS n_lines,
       p.min_los_days, p.min_lines
FROM s
JOIN f ON f.mdtrt_id = s.mdtrt_id AND f.rn = 1
JOIN enc_ctx e ON e.mdtrt_id = s.mdtrt_id
CROSS JOIN params p
WHERE s.fee_dn = s.last_fee_dn
  AND e.los_days >= p.min_los_days
  AND s.n_lines >= p.min_lines
