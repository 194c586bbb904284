-- 检查治疗项目与性别不符: one scan of item lines joined to their longest-prefix kb_item row.
SELECT p.instance_id, l.mdtrt_id, l.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       l.amt_fen AS amount_fen, 'kb_item:' || k.code_prefix AS kb_ref,
       l.hilist_name, k.name AS item_name,
       CASE l.gend WHEN '1' THEN '男' ELSE '女' END AS gend_zh,
       CASE k.gender WHEN '1' THEN '男性' ELSE '女性' END AS allowed_zh
FROM line_ctx l
JOIN kb_item k ON k.code_prefix = l.item_prefix
CROSS JOIN params p
WHERE k.gender IN ('1', '2')
  AND l.gend IN ('1', '2')
  AND l.gend <> k.gender
  AND NOT l.selfpay_flag
  AND NOT EXISTS (
    SELECT 1 FROM kb_gender_exception x
    WHERE SUBSTRING(l.hilist_code, 1, LENGTH(x.code_prefix)) = x.code_prefix
  )
