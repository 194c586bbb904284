-- 关联缺失 (B12): a dependent line — a 加收 item or a consumable — billed without any of the items
-- its 'requires' relations (code_a needs code_b) name, within each relation's window (day: same fee
-- day; encounter: same mdtrt_id). A dependent is matched on its catalogue prefix: the line's
-- item_prefix, or for a consumable its longest kb_consumable prefix (match_consumable). The
-- required item must come before the dependent (tie order), so a later line never removes a finding
-- (as-of); a self-paid required line still shows the procedure was done.
WITH rel AS (
  SELECT r.code_a, r.code_b, r.time_window, r.note, k.name AS need_name
  FROM kb_item_relation r
  LEFT JOIN kb_item k ON k.code_prefix = r.code_b
  WHERE r.relation = 'requires'
),
dep AS (
  SELECT l.mdtrt_id, l.line_id, l.hilist_name, l.fee_dn, l.fee_ocur_time, l.amt_fen,
         CASE WHEN l.item_prefix IS NULL THEN 1 ELSE 0 END AS is_consumable,
         COALESCE(l.item_prefix, c.code_prefix) AS dep_prefix
  FROM line_ctx l
  LEFT JOIN match_consumable c ON c.hilist_code = l.hilist_code
  WHERE NOT l.selfpay_flag
    AND COALESCE(l.item_prefix, c.code_prefix) IN (SELECT code_a FROM rel)
),
met AS (
  SELECT DISTINCT d.line_id
  FROM dep d
  JOIN rel r ON r.code_a = d.dep_prefix
  JOIN line_ctx o ON o.mdtrt_id = d.mdtrt_id AND o.item_prefix = r.code_b
  WHERE (r.time_window = 'encounter' OR o.fee_dn = d.fee_dn)
    AND (o.fee_ocur_time < d.fee_ocur_time OR (o.fee_ocur_time = d.fee_ocur_time AND o.line_id < d.line_id))
),
need AS (
  SELECT r.code_a, r.time_window, COALESCE(r.note, '依赖关系') AS note, COALESCE(r.need_name, r.code_b) AS need_name,
         COUNT(*) OVER (PARTITION BY r.code_a) AS n_need,
         ROW_NUMBER() OVER (PARTITION BY r.code_a ORDER BY r.code_b) AS rn
  FROM rel r
)
SELECT p.instance_id, d.mdtrt_id, d.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       d.amt_fen AS amount_fen,
       'kb_item_relation:' || d.dep_prefix || ':requires' AS kb_ref,
       d.hilist_name,
       CASE WHEN d.is_consumable = 1 THEN '医用耗材' ELSE '项目' END AS kind_zh,
       CASE WHEN n.n_need = 1 THEN n.need_name
            ELSE n.need_name || '等' || CAST(n.n_need AS VARCHAR) || '项之一' END AS need_zh,
       CASE WHEN n.time_window = 'day' THEN '同日' ELSE '本次就诊' END AS window_zh,
       n.note, d.fee_dn
FROM dep d
JOIN need n ON n.code_a = d.dep_prefix AND n.rn = 1
CROSS JOIN params p
WHERE d.line_id NOT IN (SELECT line_id FROM met)
