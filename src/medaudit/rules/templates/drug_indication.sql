-- 限适应症: drugs with indication prefixes, none of which starts any diagnosis of the encounter.
-- One scan of line_ctx; prefix tests run only on (candidate line x its indications x its
-- encounter's diagnoses), all reached by equality joins. The main diagnosis shown is chosen
-- deterministically (main flag first, then code).
SELECT p.instance_id, c.mdtrt_id, c.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       c.amt_fen AS amount_fen, 'kb_drug_indication:' || c.drug_prefix AS kb_ref,
       c.hilist_name, d.generic_name, d.restriction_text, g.diag_code, g.diag_name,
       CASE WHEN g.diag_code IS NULL THEN '本次就诊无诊断'
            ELSE '本次就诊诊断（主诊断' || g.diag_code || COALESCE(' ' || g.diag_name, '') || '）均不符合' END AS diag_zh
FROM (
  SELECT l.mdtrt_id, l.line_id, l.amt_fen, l.hilist_name, l.drug_prefix,
         MAX(CASE WHEN SUBSTRING(x.diag_code, 1, LENGTH(i.icd_prefix)) = i.icd_prefix THEN 1 ELSE 0 END) AS ok
  FROM line_ctx l
  JOIN kb_drug_indication i ON i.code_prefix = l.drug_prefix
  LEFT JOIN diagnoses x ON x.mdtrt_id = l.mdtrt_id
  WHERE NOT l.selfpay_flag
  GROUP BY l.mdtrt_id, l.line_id, l.amt_fen, l.hilist_name, l.drug_prefix
) c
LEFT JOIN kb_drug d ON d.code_prefix = c.drug_prefix
LEFT JOIN (
  SELECT mdtrt_id, diag_code, diag_name,
         ROW_NUMBER() OVER (PARTITION BY mdtrt_id
                            ORDER BY CASE WHEN maindiag_flag THEN 0 ELSE 1 END, diag_code, diag_type) AS rn
  FROM diagnoses
) g ON g.mdtrt_id = c.mdtrt_id AND g.rn = 1
CROSS JOIN params p
WHERE c.ok = 0
