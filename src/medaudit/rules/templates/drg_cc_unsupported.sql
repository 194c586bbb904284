-- 高套编码信号: a secondary diagnosis that put the stay into its MCC/CC-split DRG, while no drug of
-- the stay has an indication (kb_drug_indication) matching it by prefix: nothing billed treats the
-- complication. 可疑 only: tests and treatments are not linked to conditions in the knowledge base yet.
SELECT p.instance_id, c.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       c.payment_fen AS amount_fen, 'drg_cc:' || c.diag_code AS kb_ref,
       c.diag_code AS cc_code, c.cc_level, c.drg, c.drg_name, c.main_dx
FROM drg_cc c
CROSS JOIN params p
WHERE NOT EXISTS (
  SELECT 1
  FROM line_ctx l
  JOIN kb_drug_indication i ON i.code_prefix = l.drug_prefix
  WHERE l.mdtrt_id = c.mdtrt_id
    AND SUBSTRING(c.diag_code, 1, LENGTH(i.icd_prefix)) = i.icd_prefix
)
