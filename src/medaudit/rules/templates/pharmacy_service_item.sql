-- 虚记 (B13, 限医疗机构类型): a 定点零售药店 (fixmedins_type 'pharmacy') bills a 医疗服务项目 to the fund. A
-- pharmacy dispenses drugs and consumables; it performs no service items, so such a line records a
-- service that did not take place there. Items with a kb_item_level row are left to implausible_charge
-- (a pharmacy counts as level 0 there), so one line never carries two 虚记 findings.
SELECT p.instance_id, l.mdtrt_id, l.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       l.amt_fen AS amount_fen, 'kb_item:' || i.code_prefix AS kb_ref,
       l.hilist_name, i.name AS item_name
FROM line_ctx l
JOIN kb_item i ON i.code_prefix = l.item_prefix
CROSS JOIN params p
WHERE l.fixmedins_type = 'pharmacy'
  AND NOT l.selfpay_flag
  AND NOT EXISTS (SELECT 1 FROM kb_item_level k WHERE k.code_prefix = l.item_prefix)
