-- 药品限性别: one scan of drug lines joined to their longest-prefix catalogue row.
SELECT p.instance_id, l.mdtrt_id, l.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       l.amt_fen AS amount_fen, 'kb_drug:' || d.code_prefix AS kb_ref,
       l.hilist_name, d.generic_name, d.restriction_text,
       CASE l.gend WHEN '1' THEN '男' ELSE '女' END AS gend_zh,
       CASE d.gender WHEN '1' THEN '男性' ELSE '女性' END AS allowed_zh
FROM line_ctx l
JOIN kb_drug d ON d.code_prefix = l.drug_prefix
CROSS JOIN params p
WHERE d.gender IS NOT NULL
  AND l.gend IN ('1', '2')
  AND l.gend <> d.gender
  AND NOT l.selfpay_flag
  AND NOT EXISTS (
    SELECT 1 FROM kb_gender_exception x
    WHERE SUBSTRING(l.hilist_code, 1, LENGTH(x.code_prefix)) = x.code_prefix
  )
