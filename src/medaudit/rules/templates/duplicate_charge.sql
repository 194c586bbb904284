-- 重复收费: exclusive pairs and items inside another item's 内涵, within a day or an encounter.
-- Relation codes reference catalogue entries (kb_item.code_prefix), so lines join on item_prefix.
SELECT p.instance_id, b.mdtrt_id, b.line_id, a.line_id AS related_line_id,
       b.amt_fen AS amount_fen,
       'kb_item_relation:' || r.code_a || '>' || r.code_b AS kb_ref,
       a.hilist_name AS name_a, b.hilist_name AS name_b,
       CASE r.relation WHEN 'included' THEN '内涵重复' ELSE '互斥' END AS relation_zh,
       CASE r.time_window WHEN 'day' THEN '同一日' ELSE '同一次就诊' END AS window_zh,
       COALESCE(r.note, '') AS note
FROM kb_item_relation r
JOIN line_ctx a ON a.item_prefix = r.code_a
JOIN line_ctx b ON b.mdtrt_id = a.mdtrt_id AND b.item_prefix = r.code_b
CROSS JOIN params p
WHERE r.relation IN ('exclusive', 'included')
  AND a.line_id <> b.line_id
  AND NOT a.selfpay_flag AND NOT b.selfpay_flag
  AND (r.time_window = 'encounter' OR a.fee_dn = b.fee_dn)
