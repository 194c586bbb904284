-- 手术操作编码不在医保版ICD-9-CM-3代码表: every procedure code of the 结算清单 must be a code of
-- kb_procedure, matched exactly. One finding per encounter, naming the main procedure when it is
-- among the bad codes. An empty code is a missing field, not a bad one; an empty code table is not
-- reported per encounter.
SELECT p.instance_id, b.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       0 AS amount_fen, 'kb_procedure' AS kb_ref,
       COALESCE(b.bad_main, b.first_bad) AS oprn_code,
       CASE WHEN b.bad_main IS NULL THEN '手术操作' ELSE '主手术操作' END AS oprn_role,
       b.n_bad
FROM (
  SELECT o.mdtrt_id, MIN(CASE WHEN o.main_oprn_flag THEN o.oprn_code END) AS bad_main,
         MIN(o.oprn_code) AS first_bad, COUNT(DISTINCT o.oprn_code) AS n_bad
  FROM operations o
  LEFT JOIN kb_procedure k ON k.code = o.oprn_code
  WHERE k.code IS NULL AND TRIM(o.oprn_code) <> ''
  GROUP BY o.mdtrt_id
) b
CROSS JOIN (SELECT COUNT(*) AS n FROM kb_procedure) nk
CROSS JOIN params p
WHERE nk.n > 0
