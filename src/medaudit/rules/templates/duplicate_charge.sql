-- 重复收费: exclusive pairs and items inside another item's 内涵, within a day or an encounter.
-- Relation codes reference catalogue entries (kb_item.code_prefix), so lines join on item_prefix;
-- only lines of items named in a relation take part in the self-join.
WITH rel AS (
  SELECT code_a, code_b, relation, time_window, note
  FROM kb_item_relation WHERE relation IN ('exclusive', 'included')
),
x AS (
  SELECT l.mdtrt_id, l.line_id, l.hilist_name, l.item_prefix, l.fee_dn, l.amt_fen
  FROM line_ctx l
  WHERE NOT l.selfpay_flag
    AND l.item_prefix IN (SELECT code_a FROM rel UNION SELECT code_b FROM rel)
),
pairs AS (
  -- one relation per line pair when the knowledge lists several (included before exclusive,
  -- day before encounter), so the evidence is the same on every engine
  SELECT b.mdtrt_id, b.line_id, a.line_id AS related_line_id, b.amt_fen, a.hilist_name AS name_a,
         b.hilist_name AS name_b, r.code_a, r.code_b, r.relation, r.time_window, r.note,
         ROW_NUMBER() OVER (PARTITION BY b.line_id, a.line_id
                            ORDER BY r.relation DESC, r.time_window, r.code_a, r.code_b) AS rn
  FROM rel r
  JOIN x a ON a.item_prefix = r.code_a
  JOIN x b ON b.mdtrt_id = a.mdtrt_id AND b.item_prefix = r.code_b
  WHERE a.line_id <> b.line_id
    AND (r.time_window = 'encounter' OR a.fee_dn = b.fee_dn)
)
SELECT p.instance_id, t.mdtrt_id, t.line_id, t.related_line_id,
       t.amt_fen AS amount_fen,
       'kb_item_relation:' || t.code_a || '>' || t.code_b AS kb_ref,
       t.name_a, t.name_b,
       CASE t.relation WHEN 'included' THEN '内涵重复' ELSE '互斥' END AS relation_zh,
       CASE t.time_window WHEN 'day' THEN '同一日' ELSE '同一次就诊' END AS window_zh,
       COALESCE(t.note, '') AS note
FROM pairs t
CROSS JOIN params p
WHERE t.rn = 1
