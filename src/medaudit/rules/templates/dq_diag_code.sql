-- 诊断编码不在医保版ICD-10代码表: every diagnosis code of the 结算清单 (the diagnoses rows and the
-- encounter's own main diagnosis) must be a code of kb_diagnosis, matched exactly (a prefix of a
-- valid code, or a code with an extension the table does not list, is not one). One finding per
-- encounter, naming the main diagnosis when it is among the bad codes. An empty code is a missing
-- field (dq_required_missing), not a bad one; an empty code table is not reported per encounter.
SELECT p.instance_id, b.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       0 AS amount_fen, 'kb_diagnosis' AS kb_ref,
       COALESCE(b.bad_main, b.first_bad) AS diag_code,
       CASE WHEN b.bad_main IS NULL THEN '其他诊断' ELSE '主诊断' END AS diag_role,
       b.n_bad
FROM (
  SELECT c.mdtrt_id, MIN(c.main_code) AS bad_main,
         MIN(c.diag_code) AS first_bad, COUNT(DISTINCT c.diag_code) AS n_bad
  FROM (
    SELECT d.mdtrt_id, d.diag_code, CASE WHEN d.maindiag_flag THEN d.diag_code END AS main_code
    FROM diagnoses d
    UNION ALL
    SELECT e.mdtrt_id, e.dscg_maindiag_code AS diag_code, e.dscg_maindiag_code AS main_code
    FROM encounters e
  ) c
  LEFT JOIN kb_diagnosis k ON k.code = c.diag_code
  WHERE k.code IS NULL AND TRIM(c.diag_code) <> ''
  GROUP BY c.mdtrt_id
) b
CROSS JOIN (SELECT COUNT(*) AS n FROM kb_diagnosis) nk
CROSS JOIN params p
WHERE nk.n > 0
