-- 项目超住院天数 (B3): daily items (计价单位 日: bed, nursing, 住院诊查) billed over the stay beyond the
-- days the stay allows, and hourly items (计价单位 小时: 监护, 吸氧) beyond (LOS + 1) × 24 hours.
-- Days allowed: LOS under 算头不算尾 (a same-day stay allows one day), LOS + 1 where the region bills
-- 算头又算尾 (parameter count_both_ends). Each item is counted on its own, except beds: all bed items
-- of a stay count together (two bed types on one day are two bed-days), so an over-billed bed is
-- reported once. Totals and running counts do not depend on the parameter; only the allowance does,
-- so it is chosen per instance at the end. As in 项目超限次, the finding sits on the line whose running
-- count first exceeds the allowance, so later lines never move it.
WITH lim AS (
  SELECT l.mdtrt_id, l.line_id, l.hilist_name, l.pric_fen, l.fee_ocur_time, l.cnt_milli,
         k.code_prefix, k.name AS item_name, k.unit,
         CASE WHEN l.med_chrgitm_type = '01' AND k.unit = '日' THEN 1 ELSE 0 END AS is_bed,
         e.los_days, e.adm_dn, e.dscg_dn,
         CASE WHEN k.unit = '小时' THEN (e.los_days + 1) * 24
              WHEN e.los_days < 1 THEN 1
              ELSE e.los_days END AS max_std,
         CASE WHEN k.unit = '小时' THEN (e.los_days + 1) * 24 ELSE e.los_days + 1 END AS max_both
  FROM line_ctx l
  JOIN kb_item k ON k.code_prefix = l.item_prefix
  JOIN enc_ctx e ON e.mdtrt_id = l.mdtrt_id
  WHERE l.visit_type = 'inpatient'
    AND NOT l.selfpay_flag
    AND e.dscg_time IS NOT NULL
    AND k.unit IN ('日', '小时')
),
runs AS (
  SELECT x.*, x.item_name AS what_zh, x.code_prefix AS ref_code,
         CAST(SUM(x.cnt_milli) OVER (PARTITION BY x.mdtrt_id, x.code_prefix) AS BIGINT) AS total_milli,
         CAST(SUM(x.cnt_milli) OVER (PARTITION BY x.mdtrt_id, x.code_prefix
                                     ORDER BY x.fee_ocur_time, x.line_id
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS run_milli,
         CAST(NULL AS VARCHAR) AS first_line_id
  FROM lim x
  WHERE x.is_bed = 0
  UNION ALL
  SELECT x.*, '床位费（各类床位合计）' AS what_zh, '床位费' AS ref_code,
         CAST(SUM(x.cnt_milli) OVER (PARTITION BY x.mdtrt_id) AS BIGINT) AS total_milli,
         CAST(SUM(x.cnt_milli) OVER (PARTITION BY x.mdtrt_id
                                     ORDER BY x.fee_ocur_time, x.line_id
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS run_milli,
         FIRST_VALUE(x.line_id) OVER (PARTITION BY x.mdtrt_id ORDER BY x.fee_ocur_time, x.line_id) AS first_line_id
  FROM lim x
  WHERE x.is_bed = 1
),
q AS (
  SELECT p.instance_id, r.*,
         CASE WHEN p.count_both_ends = 1 THEN r.max_both ELSE r.max_std END AS max_units
  FROM runs r
  CROSS JOIN params p
)
SELECT q.instance_id, q.mdtrt_id, q.line_id, q.first_line_id AS related_line_id,
       (q.total_milli - q.max_units * 1000) * q.pric_fen // 1000 AS amount_fen,
       'kb_item:' || q.ref_code || ':unit' AS kb_ref,
       q.hilist_name, q.what_zh, q.unit, q.los_days, q.adm_dn, q.dscg_dn,
       q.total_milli, q.max_units, q.total_milli - q.max_units * 1000 AS excess_milli, q.pric_fen
FROM q
WHERE q.run_milli > q.max_units * 1000 AND q.run_milli - q.cnt_milli <= q.max_units * 1000
