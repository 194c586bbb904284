-- 代码不在代码集: the coded fields of dq_field (a schema-derived table) whose value is not a code of
-- its set in dq_code (the national dictionaries of medaudit.schema.codes), matched exactly. One
-- finding per (encounter, field): the encounter's own fields, its patient's and its institution's.
-- An empty value is a missing field, not a bad code. The field is named in related_line_id, so the
-- findings of one encounter stay apart.
SELECT p.instance_id, v.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, v.field AS related_line_id,
       0 AS amount_fen, 'dq_code' AS kb_ref,
       f.field_zh, f.field_national, v.field_value, f.code_set
FROM (
  SELECT e.mdtrt_id, 'med_type' AS field, e.med_type AS field_value FROM encounters e
  UNION ALL
  SELECT e.mdtrt_id, 'insutype' AS field, e.insutype AS field_value FROM encounters e
  UNION ALL
  SELECT e.mdtrt_id, 'gend' AS field, pt.gend AS field_value
  FROM encounters e JOIN patients pt ON pt.psn_no = e.psn_no
  UNION ALL
  SELECT e.mdtrt_id, 'hosp_lv' AS field, i.hosp_lv AS field_value
  FROM encounters e JOIN institutions i ON i.fixmedins_code = e.fixmedins_code
) v
JOIN dq_field f ON f.field = v.field AND f.code_set IS NOT NULL
LEFT JOIN dq_code c ON c.field = v.field AND c.code = v.field_value
CROSS JOIN params p
WHERE c.code IS NULL AND TRIM(v.field_value) <> ''
