-- 超险种 (A2): drugs (kb_drug.insurance_only) and service items (kb_item_insurance) payable only by
-- 工伤 or 生育 insurance, billed to the fund of an encounter that is not of that insurance. Which
-- encounters are 工伤 / 生育 is regional (insutype codes; 生育 also by med_type 生育门诊/住院), so the
-- lists are text parameters ('|'-separated) matched with LIKE, portable to every engine.
WITH lim AS (
  SELECT l.mdtrt_id, l.line_id, l.amt_fen, l.hilist_name, '药品' AS what_zh, d.insurance_only,
         'kb_drug:' || d.code_prefix AS kb_ref
  FROM line_ctx l
  JOIN kb_drug d ON d.code_prefix = l.drug_prefix
  WHERE d.insurance_only IS NOT NULL AND NOT l.selfpay_flag
  UNION ALL
  SELECT l.mdtrt_id, l.line_id, l.amt_fen, l.hilist_name, '医疗服务项目' AS what_zh, k.insurance_only,
         'kb_item_insurance:' || k.code_prefix AS kb_ref
  FROM line_ctx l
  JOIN kb_item_insurance k ON k.code_prefix = l.item_prefix
  WHERE NOT l.selfpay_flag
),
q AS (
  SELECT p.instance_id, x.*, COALESCE(e.insutype, '') AS insutype, COALESCE(e.med_type, '') AS med_type
  FROM lim x
  JOIN enc_ctx e ON e.mdtrt_id = x.mdtrt_id
  CROSS JOIN params p
  WHERE NOT COALESCE(
    (x.insurance_only = '工伤' AND '|' || p.injury_insutypes || '|' LIKE '%|' || e.insutype || '|%')
    OR (x.insurance_only = '生育' AND ('|' || p.maternity_insutypes || '|' LIKE '%|' || e.insutype || '|%'
                                     OR '|' || p.maternity_med_types || '|' LIKE '%|' || e.med_type || '|%')),
    FALSE)
)
SELECT q.instance_id, q.mdtrt_id, q.line_id, CAST(NULL AS VARCHAR) AS related_line_id, q.amt_fen AS amount_fen,
       q.kb_ref, q.hilist_name, q.what_zh, q.insurance_only, q.insutype, q.med_type,
       CASE q.insutype WHEN '310' THEN '职工基本医疗保险' WHEN '390' THEN '城乡居民基本医疗保险'
                       WHEN '340' THEN '离休人员医疗保障' WHEN '391' THEN '城乡居民大病医疗保险'
                       WHEN '392' THEN '城乡居民大病医疗保险' WHEN '' THEN '未填写险种' ELSE '其他险种' END AS insutype_zh
FROM q
