-- 限就医方式: the drug has allowed visit types and the encounter's visit type is not one of them.
SELECT p.instance_id, l.mdtrt_id, l.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       l.amt_fen AS amount_fen, 'kb_drug_visit:' || l.drug_prefix AS kb_ref,
       l.hilist_name, d.generic_name, d.restriction_text,
       CASE l.visit_type WHEN 'outpatient' THEN '普通门诊' WHEN 'emergency' THEN '急诊'
                         WHEN 'chronic' THEN '门诊慢特病' WHEN 'inpatient' THEN '住院'
                         WHEN 'pharmacy' THEN '定点药店购药' ELSE l.visit_type END AS visit_zh
FROM line_ctx l
JOIN (SELECT DISTINCT code_prefix FROM kb_drug_visit) r ON r.code_prefix = l.drug_prefix
LEFT JOIN kb_drug d ON d.code_prefix = l.drug_prefix
LEFT JOIN kb_drug_visit v ON v.code_prefix = l.drug_prefix AND v.visit_type = l.visit_type
CROSS JOIN params p
WHERE v.code_prefix IS NULL
  AND NOT l.selfpay_flag
