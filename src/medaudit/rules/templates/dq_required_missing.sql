-- 结算清单必填项缺失: one finding per (encounter, field) for each required field of dq_field (a
-- schema-derived table: which fields, their Chinese and national names, when they must be filled)
-- that is empty where it must be filled. Each field's condition is stated below; dq_field chooses
-- which of them are reported. A field that no row of the region fills is not reported per
-- encounter (the export does not carry it). The field is named in related_line_id, so the findings
-- of one encounter stay apart.
SELECT p.instance_id, m.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, m.field AS related_line_id,
       0 AS amount_fen, 'dq_field' AS kb_ref,
       f.field_zh, f.field_national, f.required_when
FROM (
  SELECT e.mdtrt_id, 'dscg_maindiag_code' AS field
  FROM encounters e
  LEFT JOIN (SELECT DISTINCT mdtrt_id FROM diagnoses WHERE maindiag_flag AND TRIM(diag_code) <> '') d
         ON d.mdtrt_id = e.mdtrt_id
  WHERE e.visit_type <> 'pharmacy' AND COALESCE(TRIM(e.dscg_maindiag_code), '') = '' AND d.mdtrt_id IS NULL
  UNION ALL
  SELECT e.mdtrt_id, 'dscg_time' AS field FROM encounters e
  WHERE e.visit_type = 'inpatient' AND e.setl_time IS NOT NULL AND e.dscg_time IS NULL
  UNION ALL
  SELECT e.mdtrt_id, 'dscg_way' AS field FROM encounters e
  WHERE e.visit_type = 'inpatient' AND e.dscg_time IS NOT NULL AND COALESCE(TRIM(e.dscg_way), '') = ''
  UNION ALL
  SELECT e.mdtrt_id, 'chfpdr_code' AS field FROM encounters e WHERE COALESCE(TRIM(e.chfpdr_code), '') = ''
  UNION ALL
  SELECT e.mdtrt_id, 'dept_code' AS field FROM encounters e
  WHERE e.visit_type <> 'pharmacy' AND COALESCE(TRIM(e.dept_code), '') = ''
) m
JOIN dq_field f ON f.field = m.field AND f.required_when IS NOT NULL
JOIN (
  SELECT 'dscg_maindiag_code' AS field,
         (SELECT COUNT(*) FROM encounters WHERE COALESCE(TRIM(dscg_maindiag_code), '') <> '')
         + (SELECT COUNT(*) FROM diagnoses WHERE maindiag_flag AND TRIM(diag_code) <> '') AS n
  UNION ALL SELECT 'dscg_time' AS field, COUNT(dscg_time) AS n FROM encounters
  UNION ALL SELECT 'dscg_way' AS field, COUNT(*) AS n FROM encounters WHERE COALESCE(TRIM(dscg_way), '') <> ''
  UNION ALL SELECT 'chfpdr_code' AS field, COUNT(*) AS n FROM encounters WHERE COALESCE(TRIM(chfpdr_code), '') <> ''
  UNION ALL SELECT 'dept_code' AS field, COUNT(*) AS n FROM encounters WHERE COALESCE(TRIM(dept_code), '') <> ''
) c ON c.field = m.field AND c.n > 0
CROSS JOIN params p
