-- 医用耗材数量超标 (B13 虚记: implausible quantities): a consumable's units in one encounter beyond the
-- plausible maximum (kb_consumable_limit). A consumable line (no drug or item match) is matched on its
-- longest kb_consumable prefix; the finding sits on the line whose running count (tie order) first
-- exceeds the maximum, so later lines never move it.
WITH lim AS (
  SELECT l.mdtrt_id, l.line_id, l.hilist_name, l.pric_fen, l.fee_ocur_time, l.cnt_milli,
         k.code_prefix, k.name AS cons_name, COALESCE(k.unit, '') AS unit, q.max_per_encounter,
         COALESCE(q.note, '医用耗材数量上限') AS note
  FROM line_ctx l
  JOIN match_consumable c ON c.hilist_code = l.hilist_code
  JOIN kb_consumable k ON k.code_prefix = c.code_prefix
  JOIN kb_consumable_limit q ON q.code_prefix = c.code_prefix
  WHERE NOT l.selfpay_flag
),
runs AS (
  SELECT x.*,
         CAST(SUM(x.cnt_milli) OVER (PARTITION BY x.mdtrt_id, x.code_prefix) AS BIGINT) AS total_milli,
         CAST(SUM(x.cnt_milli) OVER (PARTITION BY x.mdtrt_id, x.code_prefix
                                     ORDER BY x.fee_ocur_time, x.line_id
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS run_milli
  FROM lim x
)
SELECT p.instance_id, r.mdtrt_id, r.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       (r.total_milli - r.max_per_encounter * 1000) * r.pric_fen // 1000 AS amount_fen,
       'kb_consumable_limit:' || r.code_prefix AS kb_ref,
       r.hilist_name, r.cons_name, r.unit, r.note, r.total_milli, r.max_per_encounter AS max_units,
       r.total_milli - r.max_per_encounter * 1000 AS excess_milli, r.pric_fen
FROM runs r
CROSS JOIN params p
WHERE r.run_milli > r.max_per_encounter * 1000 AND r.run_milli - r.cnt_milli <= r.max_per_encounter * 1000
