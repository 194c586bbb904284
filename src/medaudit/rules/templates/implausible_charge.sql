-- 虚记 (B13, 医疗服务项目限医疗机构级别): a service item billed by an institution below the lowest level
-- that can perform it (kb_item_level.min_level; an institution without a level counts as 0).
SELECT p.instance_id, t.mdtrt_id, t.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       t.amt_fen AS amount_fen, 'kb_item_level:' || t.code_prefix AS kb_ref,
       t.hilist_name, t.item_name, COALESCE(t.note, '项目限医疗机构级别') AS note,
       CASE t.min_level WHEN 1 THEN '一级及以上' WHEN 2 THEN '二级及以上' ELSE '三级' END AS min_level_zh,
       CASE WHEN t.medins_lv = 2 THEN '二级医疗机构' WHEN t.medins_lv = 1 THEN '一级医疗机构'
            ELSE '无等级医疗机构' END AS level_zh
FROM (
  SELECT l.mdtrt_id, l.line_id, l.amt_fen, l.hilist_name, l.medins_lv,
         k.code_prefix, k.min_level, k.note, i.name AS item_name
  FROM line_ctx l
  JOIN kb_item_level k ON k.code_prefix = l.item_prefix
  JOIN kb_item i ON i.code_prefix = k.code_prefix
  WHERE NOT l.selfpay_flag
) t
CROSS JOIN params p
WHERE t.min_level > t.medins_lv
