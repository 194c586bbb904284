-- 门慢门特限病种用药: chronic-visit drug lines whose catalogue prefix is not on the registered disease's list.
SELECT p.instance_id, l.mdtrt_id, l.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       l.amt_fen AS amount_fen, 'kb_chronic_drug:' || l.dise_no AS kb_ref,
       l.hilist_name, l.dise_no, s.dise_name
FROM line_ctx l
JOIN (SELECT dise_no, MIN(dise_name) AS dise_name FROM kb_chronic_drug GROUP BY dise_no) s
  ON s.dise_no = l.dise_no
LEFT JOIN kb_chronic_drug k ON k.dise_no = l.dise_no AND k.drug_prefix = l.drug_prefix
CROSS JOIN params p
WHERE l.visit_type = 'chronic'
  AND l.drug_prefix IS NOT NULL
  AND k.dise_no IS NULL
  AND NOT l.selfpay_flag
