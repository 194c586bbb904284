-- 结算总额与明细合计不符: the settlement's 医疗费总额 (SETL_D medfee_sumamt) must equal the sum of the
-- encounter's fee lines as uploaded (refund lines included, negative); a difference above the
-- tolerance (param, fen) is reported with its size as the amount. Encounters without any fee line
-- are not compared (the lines were not exported, nothing to sum).
SELECT p.instance_id, e.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       ABS(e.medfee_sumamt_fen - s.lines_fen) AS amount_fen, CAST(NULL AS VARCHAR) AS kb_ref,
       e.medfee_sumamt_fen, s.lines_fen, s.n_lines, p.tolerance_fen,
       CASE WHEN e.medfee_sumamt_fen > s.lines_fen THEN '多' ELSE '少' END AS direction
FROM encounters e
JOIN (SELECT mdtrt_id, CAST(SUM(amt_fen) AS BIGINT) AS lines_fen, COUNT(*) AS n_lines
      FROM fee_lines GROUP BY mdtrt_id) s ON s.mdtrt_id = e.mdtrt_id
CROSS JOIN params p
WHERE ABS(e.medfee_sumamt_fen - s.lines_fen) > p.tolerance_fen
