-- 项目超限次: one scan of limited item lines; running and total sums as window sums.
-- The finding sits on the line whose running count first exceeds the limit (tie order), so lines
-- entered later never move it: real-time findings stay a subset of batch findings.
-- kind 1 = per (encounter, item, day) (related: none);
-- kind 2 = per (encounter, item) (related: the item's first line, so keys never collide with kind 1).
SELECT p.instance_id, t.mdtrt_id, t.line_id,
       CASE WHEN w.kind = 1 THEN CAST(NULL AS VARCHAR) ELSE t.first_line_id END AS related_line_id,
       (CASE WHEN w.kind = 1 THEN t.day_milli - t.max_per_day * 1000
             ELSE t.enc_milli - t.max_per_encounter * 1000 END) * t.pric_fen // 1000 AS amount_fen,
       CASE WHEN w.kind = 1 THEN 'kb_item:' || t.code_prefix || ':max_per_day'
            ELSE 'kb_item:' || t.code_prefix || ':max_per_encounter' END AS kb_ref,
       t.hilist_name, t.item_name,
       CASE WHEN w.kind = 1 THEN '当日' ELSE '本次就诊' END AS scope_zh,
       CASE WHEN w.kind = 1 THEN '每日限定' ELSE '每次就诊限定' END AS limit_zh,
       CASE WHEN w.kind = 1 THEN t.day_milli ELSE t.enc_milli END AS total_milli,
       CASE WHEN w.kind = 1 THEN t.max_per_day ELSE t.max_per_encounter END AS max_units,
       CASE WHEN w.kind = 1 THEN t.day_milli - t.max_per_day * 1000
            ELSE t.enc_milli - t.max_per_encounter * 1000 END AS excess_milli,
       t.pric_fen, t.fee_dn AS cross_fee_dn
FROM (
  SELECT l.mdtrt_id, l.line_id, l.hilist_name, l.pric_fen, l.fee_dn, l.cnt_milli,
         k.code_prefix, k.name AS item_name, k.max_per_day, k.max_per_encounter,
         CAST(SUM(l.cnt_milli) OVER (PARTITION BY l.mdtrt_id, k.code_prefix, l.fee_dn) AS BIGINT) AS day_milli,
         CAST(SUM(l.cnt_milli) OVER (PARTITION BY l.mdtrt_id, k.code_prefix, l.fee_dn
                                     ORDER BY l.fee_ocur_time, l.line_id
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS day_run,
         CAST(SUM(l.cnt_milli) OVER (PARTITION BY l.mdtrt_id, k.code_prefix) AS BIGINT) AS enc_milli,
         CAST(SUM(l.cnt_milli) OVER (PARTITION BY l.mdtrt_id, k.code_prefix
                                     ORDER BY l.fee_ocur_time, l.line_id
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS enc_run,
         FIRST_VALUE(l.line_id) OVER (PARTITION BY l.mdtrt_id, k.code_prefix
                                      ORDER BY l.fee_ocur_time, l.line_id) AS first_line_id
  FROM line_ctx l
  JOIN kb_item k ON k.code_prefix = l.item_prefix
  WHERE NOT l.selfpay_flag
    AND (k.max_per_day IS NOT NULL OR k.max_per_encounter IS NOT NULL)
) t
CROSS JOIN (SELECT 1 AS kind UNION ALL SELECT 2 AS kind) w
CROSS JOIN params p
WHERE (w.kind = 1 AND t.max_per_day IS NOT NULL
       AND t.day_run > t.max_per_day * 1000 AND t.day_run - t.cnt_milli <= t.max_per_day * 1000)
   OR (w.kind = 2 AND t.max_per_encounter IS NOT NULL
       AND t.enc_run > t.max_per_encounter * 1000 AND t.enc_run - t.cnt_milli <= t.max_per_encounter * 1000)
