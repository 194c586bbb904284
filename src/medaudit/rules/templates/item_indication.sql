-- 诊疗项目与诊断不符: equality joins on item_prefix to the indication and department lists (no correlated
-- subqueries: a correlated EXISTS in the projection was ~9x slower on DuckDB). Diagnoses are matched only
-- for the (encounter, item) pairs actually billed.
SELECT p.instance_id, t.mdtrt_id, t.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       t.amt_fen AS amount_fen,
       CASE WHEN t.dx_fail THEN 'kb_item_indication:' ELSE 'kb_item_dept:' END || t.item_prefix AS kb_ref,
       t.hilist_name, t.item_name,
       CASE WHEN t.dx_fail AND t.dept_fail THEN '本次就诊诊断中无该项目的适应症，且开单科室与就诊科室均不在限定科室内'
            WHEN t.dx_fail THEN '本次就诊诊断中无该项目的适应症'
            ELSE '开单科室与就诊科室均不在该项目限定科室内' END AS problem_zh,
       t.bilg_dept_code, t.enc_dept_code
FROM (
  SELECT l.mdtrt_id, l.line_id, l.hilist_name, l.amt_fen, l.item_prefix, l.bilg_dept_code, l.enc_dept_code,
         COALESCE(k.name, l.item_prefix) AS item_name,
         CASE WHEN ind.code_prefix IS NOT NULL AND dx.mdtrt_id IS NULL THEN TRUE ELSE FALSE END AS dx_fail,
         CASE WHEN dep.code_prefix IS NOT NULL AND kd1.code_prefix IS NULL AND kd2.code_prefix IS NULL
              THEN TRUE ELSE FALSE END AS dept_fail
  FROM line_ctx l
  LEFT JOIN (SELECT DISTINCT code_prefix FROM kb_item_indication) ind ON ind.code_prefix = l.item_prefix
  LEFT JOIN (SELECT DISTINCT code_prefix FROM kb_item_dept) dep ON dep.code_prefix = l.item_prefix
  LEFT JOIN kb_item_dept kd1 ON kd1.code_prefix = l.item_prefix AND kd1.dept_code = l.bilg_dept_code
  LEFT JOIN kb_item_dept kd2 ON kd2.code_prefix = l.item_prefix AND kd2.dept_code = l.enc_dept_code
  LEFT JOIN kb_item k ON k.code_prefix = l.item_prefix
  LEFT JOIN (
    -- (encounter, item) pairs with at least one diagnosis matching one of the item's indications
    SELECT DISTINCT u.mdtrt_id, ki.code_prefix
    FROM (SELECT DISTINCT l2.mdtrt_id, l2.item_prefix
          FROM line_ctx l2
          JOIN (SELECT DISTINCT code_prefix FROM kb_item_indication) i2 ON i2.code_prefix = l2.item_prefix) u
    JOIN diagnoses d ON d.mdtrt_id = u.mdtrt_id
    JOIN kb_item_indication ki ON ki.code_prefix = u.item_prefix
    WHERE SUBSTRING(d.diag_code, 1, LENGTH(ki.icd_prefix)) = ki.icd_prefix
  ) dx ON dx.mdtrt_id = l.mdtrt_id AND dx.code_prefix = l.item_prefix
  WHERE NOT l.selfpay_flag
    AND (ind.code_prefix IS NOT NULL OR dep.code_prefix IS NOT NULL)
) t
CROSS JOIN params p
WHERE t.dx_fail OR t.dept_fail
