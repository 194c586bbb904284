-- 周期超频次: per patient and item (every encounter, any institution), the units billed in the
-- window of period_days days ending on a line's fee day, counting only lines up to it in tie order
-- (fee time, line id). Lines entered later never change a line's window count, so a finding never
-- moves and real time stays a subset of batch. Only lines of items with a cycle limit take part in
-- the self-join, which stays within one patient's lines of one item.
WITH c AS (
  SELECT l.psn_no, l.mdtrt_id, l.line_id, l.hilist_name, l.pric_fen, l.fee_dn, l.fee_ocur_time, l.cnt_milli,
         k.code_prefix, k.name AS item_name, y.max_units, y.period_days
  FROM line_ctx l
  JOIN kb_item k ON k.code_prefix = l.item_prefix
  JOIN kb_item_cycle y ON y.code_prefix = l.item_prefix
  WHERE NOT l.selfpay_flag
),
w AS (
  SELECT b.mdtrt_id, b.line_id, b.hilist_name, b.pric_fen, b.fee_dn, b.cnt_milli, b.code_prefix, b.item_name,
         b.max_units, b.period_days,
         CAST(SUM(a.cnt_milli) AS BIGINT) AS window_milli,
         MIN(a.fee_dn) AS first_dn,
         COUNT(DISTINCT a.mdtrt_id) AS n_enc
  FROM c b
  JOIN c a ON a.psn_no = b.psn_no AND a.code_prefix = b.code_prefix
          AND a.fee_dn > b.fee_dn - b.period_days
          AND (a.fee_ocur_time < b.fee_ocur_time OR (a.fee_ocur_time = b.fee_ocur_time AND a.line_id <= b.line_id))
  GROUP BY b.mdtrt_id, b.line_id, b.hilist_name, b.pric_fen, b.fee_dn, b.cnt_milli, b.code_prefix, b.item_name,
           b.max_units, b.period_days
  HAVING SUM(a.cnt_milli) > b.max_units * 1000
),
x AS (
  SELECT w.*,
         CASE WHEN w.window_milli - w.max_units * 1000 < w.cnt_milli
              THEN w.window_milli - w.max_units * 1000 ELSE w.cnt_milli END AS excess_milli
  FROM w
)
SELECT p.instance_id, x.mdtrt_id, x.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       x.excess_milli * x.pric_fen // 1000 AS amount_fen,
       'kb_item_cycle:' || x.code_prefix AS kb_ref,
       x.hilist_name, x.item_name, x.period_days, x.max_units, x.window_milli, x.excess_milli, x.pric_fen,
       x.first_dn, x.fee_dn, x.n_enc
FROM x
CROSS JOIN params p
