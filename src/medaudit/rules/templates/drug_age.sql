-- 药品限年龄: completed years at the line's fee day outside [age_min, age_max).
SELECT p.instance_id, l.mdtrt_id, l.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       l.amt_fen AS amount_fen, 'kb_drug:' || d.code_prefix AS kb_ref,
       l.hilist_name, d.generic_name, d.restriction_text, l.age,
       CASE WHEN d.age_min IS NOT NULL AND d.age_max IS NOT NULL
                 THEN CAST(d.age_min AS VARCHAR) || '岁及以上、' || CAST(d.age_max AS VARCHAR) || '岁以下'
            WHEN d.age_max IS NOT NULL THEN CAST(d.age_max AS VARCHAR) || '岁以下'
            ELSE CAST(d.age_min AS VARCHAR) || '岁及以上' END AS age_range_zh
FROM line_ctx l
JOIN kb_drug d ON d.code_prefix = l.drug_prefix
CROSS JOIN params p
WHERE (d.age_min IS NOT NULL OR d.age_max IS NOT NULL)
  AND l.age IS NOT NULL
  AND NOT l.selfpay_flag
  AND (l.age < d.age_min OR l.age >= d.age_max)
