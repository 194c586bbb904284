-- 诊疗项目与诊断不符: equality joins on item_prefix to the (distinct) indication and department lists,
-- then correlated checks keyed on (mdtrt_id, item_prefix).
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
         CASE WHEN ind.code_prefix IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM diagnoses d, kb_item_indication ki
                WHERE d.mdtrt_id = l.mdtrt_id AND ki.code_prefix = l.item_prefix
                  AND SUBSTRING(d.diag_code, 1, LENGTH(ki.icd_prefix)) = ki.icd_prefix)
              THEN TRUE ELSE FALSE END AS dx_fail,
         CASE WHEN dep.code_prefix IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM kb_item_dept kd
                WHERE kd.code_prefix = l.item_prefix
                  AND (kd.dept_code = l.bilg_dept_code OR kd.dept_code = l.enc_dept_code))
              THEN TRUE ELSE FALSE END AS dept_fail
  FROM line_ctx l
  LEFT JOIN (SELECT DISTINCT code_prefix FROM kb_item_indication) ind ON ind.code_prefix = l.item_prefix
  LEFT JOIN (SELECT DISTINCT code_prefix FROM kb_item_dept) dep ON dep.code_prefix = l.item_prefix
  LEFT JOIN kb_item k ON k.code_prefix = l.item_prefix
  WHERE NOT l.selfpay_flag
    AND (ind.code_prefix IS NOT NULL OR dep.code_prefix IS NOT NULL)
) t
CROSS JOIN params p
WHERE t.dx_fail OR t.dept_fail
