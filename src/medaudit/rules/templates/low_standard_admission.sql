-- 低标准入院: one grouped scan of inpatient lines, shares compared in integer arithmetic.
SELECT p.instance_id, e.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       COALESCE(e.fund_pay_fen, 0) AS amount_fen, 'param:min_exam_share_pct' AS kb_ref,
       e.los_days, p.max_los_days, s.total_fen, s.exam_fen, s.exam_fen * 100 // s.total_fen AS exam_pct,
       p.min_exam_share_pct, s.drug_fen, s.drug_fen * 100 // s.total_fen AS drug_pct, p.max_drug_share_pct
FROM (
  SELECT l.mdtrt_id,
         CAST(SUM(l.amt_fen) AS BIGINT) AS total_fen,
         CAST(SUM(CASE WHEN l.med_chrgitm_type IN ('03', '04') THEN l.amt_fen ELSE 0 END) AS BIGINT) AS exam_fen,
         CAST(SUM(CASE WHEN l.is_drug THEN l.amt_fen ELSE 0 END) AS BIGINT) AS drug_fen
  FROM line_ctx l
  WHERE l.visit_type = 'inpatient'
  GROUP BY l.mdtrt_id
) s
JOIN enc_ctx e ON e.mdtrt_id = s.mdtrt_id
CROSS JOIN params p
WHERE e.los_days <= p.max_los_days
  AND s.total_fen > 0
  AND s.exam_fen * 100 >= p.min_exam_share_pct * s.total_fen
  AND s.drug_fen * 100 <= p.max_drug_share_pct * s.total_fen
