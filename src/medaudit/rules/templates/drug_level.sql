-- 限医院等级: drug min_level above the institution's level (pharmacies count as level 0).
SELECT p.instance_id, t.mdtrt_id, t.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       t.amt_fen AS amount_fen, 'kb_drug:' || t.code_prefix AS kb_ref,
       t.hilist_name, t.generic_name, t.restriction_text,
       CASE t.min_level WHEN 1 THEN '一级' WHEN 2 THEN '二级' ELSE '三级' END AS min_level_zh,
       CASE WHEN t.fixmedins_type = 'pharmacy' THEN '定点零售药店'
            WHEN t.lv = 3 THEN '三级医疗机构' WHEN t.lv = 2 THEN '二级医疗机构'
            WHEN t.lv = 1 THEN '一级医疗机构' ELSE '无等级医疗机构' END AS level_zh
FROM (
  SELECT l.mdtrt_id, l.line_id, l.amt_fen, l.hilist_name, l.fixmedins_type,
         d.code_prefix, d.generic_name, d.restriction_text, d.min_level,
         CASE WHEN l.fixmedins_type = 'pharmacy' THEN 0 ELSE COALESCE(l.medins_lv, 0) END AS lv
  FROM line_ctx l
  JOIN kb_drug d ON d.code_prefix = l.drug_prefix
  WHERE d.min_level IS NOT NULL
    AND NOT l.selfpay_flag
) t
CROSS JOIN params p
WHERE t.min_level > t.lv
