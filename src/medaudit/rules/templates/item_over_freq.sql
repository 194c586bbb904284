-- 项目超限次: totals per (encounter, item, day) and per (encounter, item) by hash aggregation; only
-- the lines of groups over a limit are ordered to find the line whose running count first exceeds it
-- (tie order), so lines entered later never move the finding and real time stays a subset of batch.
-- kind 1 = per (encounter, item, day) (related: none);
-- kind 2 = per (encounter, item) (related: the item's first line, so keys never collide with kind 1).
WITH lim AS (
  SELECT l.mdtrt_id, l.line_id, l.hilist_name, l.pric_fen, l.fee_dn, l.fee_ocur_time, l.cnt_milli,
         k.code_prefix, k.name AS item_name, k.max_per_day, k.max_per_encounter
  FROM line_ctx l
  JOIN kb_item k ON k.code_prefix = l.item_prefix
  WHERE NOT l.selfpay_flag
    AND (k.max_per_day IS NOT NULL OR k.max_per_encounter IS NOT NULL)
),
day_over AS (
  SELECT mdtrt_id, code_prefix, fee_dn, CAST(SUM(cnt_milli) AS BIGINT) AS total_milli
  FROM lim WHERE max_per_day IS NOT NULL
  GROUP BY mdtrt_id, code_prefix, fee_dn, max_per_day
  HAVING SUM(cnt_milli) > max_per_day * 1000
),
enc_over AS (
  SELECT mdtrt_id, code_prefix, CAST(SUM(cnt_milli) AS BIGINT) AS total_milli
  FROM lim WHERE max_per_encounter IS NOT NULL
  GROUP BY mdtrt_id, code_prefix, max_per_encounter
  HAVING SUM(cnt_milli) > max_per_encounter * 1000
),
runs AS (
  SELECT 1 AS kind, x.*, d.total_milli, x.max_per_day AS max_units,
         CAST(SUM(x.cnt_milli) OVER (PARTITION BY x.mdtrt_id, x.code_prefix, x.fee_dn
                                     ORDER BY x.fee_ocur_time, x.line_id
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS run_milli,
         CAST(NULL AS VARCHAR) AS first_line_id
  FROM lim x JOIN day_over d ON d.mdtrt_id = x.mdtrt_id AND d.code_prefix = x.code_prefix AND d.fee_dn = x.fee_dn
  UNION ALL
  SELECT 2 AS kind, x.*, d.total_milli, x.max_per_encounter AS max_units,
         CAST(SUM(x.cnt_milli) OVER (PARTITION BY x.mdtrt_id, x.code_prefix
                                     ORDER BY x.fee_ocur_time, x.line_id
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS run_milli,
         FIRST_VALUE(x.line_id) OVER (PARTITION BY x.mdtrt_id, x.code_prefix
                                      ORDER BY x.fee_ocur_time, x.line_id) AS first_line_id
  FROM lim x JOIN enc_over d ON d.mdtrt_id = x.mdtrt_id AND d.code_prefix = x.code_prefix
)
SELECT p.instance_id, r.mdtrt_id, r.line_id, r.first_line_id AS related_line_id,
       (r.total_milli - r.max_units * 1000) * r.pric_fen // 1000 AS amount_fen,
       'kb_item:' || r.code_prefix || CASE WHEN r.kind = 1 THEN ':max_per_day' ELSE ':max_per_encounter' END AS kb_ref,
       r.hilist_name, r.item_name,
       CASE WHEN r.kind = 1 THEN '当日' ELSE '本次就诊' END AS scope_zh,
       CASE WHEN r.kind = 1 THEN '每日限定' ELSE '每次就诊限定' END AS limit_zh,
       r.total_milli, r.max_units, r.total_milli - r.max_units * 1000 AS excess_milli,
       r.pric_fen, r.fee_dn AS cross_fee_dn
FROM runs r
CROSS JOIN params p
WHERE r.run_milli > r.max_units * 1000 AND r.run_milli - r.cnt_milli <= r.max_units * 1000
