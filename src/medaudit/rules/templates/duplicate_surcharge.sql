-- 重复加收: the surcharge lines (加收项) of one base item on one day of an encounter, in tie order
-- (fee time, line id). A surcharge whose exclusive group already holds another surcharge of that base
-- earlier that day is excess in full; otherwise the units of one surcharge above max_per_day are
-- excess (at most the line's own units). The base item must be billed that day. Only lines up to a
-- line in tie order decide its excess and a base billed later only adds, so lines entered later never
-- withdraw a finding and real time stays a subset of batch.
WITH s AS (
  SELECT l.mdtrt_id, l.line_id, l.hilist_name, l.pric_fen, l.cnt_milli, l.fee_dn, l.fee_ocur_time,
         k.surcharge_prefix, k.base_prefix, k.max_per_day, k.excl_group
  FROM line_ctx l
  JOIN kb_item_surcharge k ON k.surcharge_prefix = l.item_prefix
  WHERE NOT l.selfpay_flag
    AND EXISTS (SELECT 1 FROM line_ctx b
                WHERE b.mdtrt_id = l.mdtrt_id AND b.fee_dn = l.fee_dn AND b.item_prefix = k.base_prefix)
),
r AS (
  SELECT s.*,
         CAST(SUM(s.cnt_milli) OVER (PARTITION BY s.mdtrt_id, s.fee_dn, s.surcharge_prefix
                                     ORDER BY s.fee_ocur_time, s.line_id
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS run_milli,
         FIRST_VALUE(s.line_id) OVER (PARTITION BY s.mdtrt_id, s.fee_dn, s.base_prefix, s.excl_group
                                      ORDER BY s.fee_ocur_time, s.line_id) AS first_line_id,
         FIRST_VALUE(s.surcharge_prefix) OVER (PARTITION BY s.mdtrt_id, s.fee_dn, s.base_prefix, s.excl_group
                                               ORDER BY s.fee_ocur_time, s.line_id) AS first_prefix,
         FIRST_VALUE(s.hilist_name) OVER (PARTITION BY s.mdtrt_id, s.fee_dn, s.base_prefix, s.excl_group
                                          ORDER BY s.fee_ocur_time, s.line_id) AS first_name
  FROM s
),
e AS (
  SELECT r.*,
         CASE WHEN r.excl_group IS NOT NULL AND r.first_prefix <> r.surcharge_prefix THEN 1 END AS exclusive
  FROM r
),
x AS (
  SELECT e.*,
         CASE WHEN e.exclusive = 1 THEN e.cnt_milli
              WHEN e.run_milli - e.max_per_day * 1000 < e.cnt_milli THEN e.run_milli - e.max_per_day * 1000
              ELSE e.cnt_milli END AS excess_milli
  FROM e
)
SELECT p.instance_id, x.mdtrt_id, x.line_id,
       CASE WHEN x.exclusive = 1 THEN x.first_line_id END AS related_line_id,
       x.excess_milli * x.pric_fen // 1000 AS amount_fen,
       'kb_item_surcharge:' || x.surcharge_prefix AS kb_ref,
       x.hilist_name, b.name AS base_name, i.unit,
       CASE WHEN x.exclusive = 1
            THEN '与当日已加收的【' || x.first_name || '】互斥（' || x.excl_group || '），不得同时加收'
            ELSE '超过每日限加收的' || CAST(x.max_per_day AS VARCHAR) || i.unit END AS rule_zh,
       x.max_per_day, x.excl_group, x.run_milli, x.excess_milli, x.pric_fen, x.fee_dn
FROM x
JOIN kb_item b ON b.code_prefix = x.base_prefix
JOIN kb_item i ON i.code_prefix = x.surcharge_prefix
CROSS JOIN params p
WHERE x.exclusive = 1 OR x.run_milli > x.max_per_day * 1000
