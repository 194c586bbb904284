-- 超单次计价数量: a fee line whose (refund-netted) quantity exceeds the item's maximum per charge.
-- One line at a time: no window, so real time and batch see the same finding.
SELECT p.instance_id, l.mdtrt_id, l.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       (l.cnt_milli - k.max_units * 1000) * l.pric_fen // 1000 AS amount_fen,
       'kb_item_charge_limit:' || k.code_prefix AS kb_ref,
       l.hilist_name, i.name AS item_name, i.unit, l.cnt_milli, k.max_units,
       l.cnt_milli - k.max_units * 1000 AS excess_milli, l.pric_fen
FROM line_ctx l
JOIN kb_item_charge_limit k ON k.code_prefix = l.item_prefix
JOIN kb_item i ON i.code_prefix = l.item_prefix
CROSS JOIN params p
WHERE NOT l.selfpay_flag
  AND l.cnt_milli > k.max_units * 1000
