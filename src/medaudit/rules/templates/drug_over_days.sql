-- 超量开药: days of supply above the drug's max_days, else the visit type's default (parameters);
-- inpatient lines only when they are discharge medication (drord_bhvr = '1').
SELECT t.instance_id, t.mdtrt_id, t.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       t.amt_fen * (t.prd_days - t.limit_days) // t.prd_days AS amount_fen,
       t.kb_ref, t.hilist_name, t.prd_days, t.limit_days, t.limit_zh
FROM (
  SELECT p.instance_id, l.mdtrt_id, l.line_id, l.amt_fen, l.prd_days, l.hilist_name,
         CASE WHEN d.max_days IS NOT NULL THEN d.max_days
              WHEN l.visit_type = 'outpatient' THEN p.outpatient_days
              WHEN l.visit_type = 'emergency' THEN p.emergency_days
              WHEN l.visit_type = 'chronic' THEN p.chronic_days
              WHEN l.visit_type = 'pharmacy' THEN p.pharmacy_days
              WHEN l.visit_type = 'inpatient' THEN p.discharge_days END AS limit_days,
         CASE WHEN d.max_days IS NOT NULL THEN '该药品目录规定'
              WHEN l.visit_type = 'outpatient' THEN '普通门诊处方'
              WHEN l.visit_type = 'emergency' THEN '急诊处方'
              WHEN l.visit_type = 'chronic' THEN '门诊慢特病处方'
              WHEN l.visit_type = 'pharmacy' THEN '定点药店购药'
              ELSE '出院带药' END AS limit_zh,
         CASE WHEN d.max_days IS NOT NULL THEN 'kb_drug:' || d.code_prefix
              WHEN l.visit_type = 'outpatient' THEN 'param:outpatient_days'
              WHEN l.visit_type = 'emergency' THEN 'param:emergency_days'
              WHEN l.visit_type = 'chronic' THEN 'param:chronic_days'
              WHEN l.visit_type = 'pharmacy' THEN 'param:pharmacy_days'
              ELSE 'param:discharge_days' END AS kb_ref
  FROM line_ctx l
  LEFT JOIN kb_drug d ON d.code_prefix = l.drug_prefix
  CROSS JOIN params p
  WHERE (l.is_drug OR l.drug_prefix IS NOT NULL)
    AND l.prd_days IS NOT NULL
    AND NOT l.selfpay_flag
    AND (l.visit_type <> 'inpatient' OR l.drord_bhvr = '1')
) t
WHERE t.limit_days IS NOT NULL AND t.prd_days > t.limit_days
