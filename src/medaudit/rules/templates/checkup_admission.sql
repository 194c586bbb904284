-- 体检式住院 (D4): one grouped scan of a discharged stay's lines; the number of distinct examination
-- codes, the examination share and the treatment-and-drug share are compared with the parameters
-- (shares in integer arithmetic).
SELECT p.instance_id, e.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       COALESCE(e.fund_pay_fen, 0) AS amount_fen, 'param:min_exam_share_pct' AS kb_ref,
       e.los_days, p.min_los_days, s.exam_items, p.min_exam_items, s.total_fen, s.exam_fen, s.exam_fen * 100 // s.total_fen AS exam_pct,
       p.min_exam_share_pct, s.treat_fen, s.treat_fen * 100 // s.total_fen AS treat_pct, p.max_treat_share_pct
FROM (
  SELECT l.mdtrt_id,
         CAST(SUM(l.amt_fen) AS BIGINT) AS total_fen,
         CAST(SUM(CASE WHEN l.med_chrgitm_type IN ('03', '04') THEN l.amt_fen ELSE 0 END) AS BIGINT) AS exam_fen,
         COUNT(DISTINCT CASE WHEN l.med_chrgitm_type IN ('03', '04') THEN l.hilist_code END) AS exam_items,
         CAST(SUM(CASE WHEN l.med_chrgitm_type IN ('05', '06', '09', '10', '11') THEN l.amt_fen ELSE 0 END) AS BIGINT)
           AS treat_fen
  FROM line_ctx l
  WHERE l.visit_type = 'inpatient'
  GROUP BY l.mdtrt_id
) s
JOIN enc_ctx e ON e.mdtrt_id = s.mdtrt_id
CROSS JOIN params p
WHERE e.dscg_time IS NOT NULL
  AND e.los_days >= p.min_los_days
  AND s.total_fen > 0
  AND s.exam_items >= p.min_exam_items
  AND s.exam_fen * 100 >= p.min_exam_share_pct * s.total_fen
  AND s.treat_fen * 100 <= p.max_treat_share_pct * s.total_fen
