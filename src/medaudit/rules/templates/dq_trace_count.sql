-- 追溯码个数与数量不符: a whole-box (not 拆零) sale lists one code per box, so a line carrying codes
-- whose count differs from its quantity as sold (the original line, before any refund) is a
-- data-quality gap: boxes sold without a scanned code, or codes scanned for boxes not sold.
SELECT p.instance_id, l.mdtrt_id, l.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       0 AS amount_fen, CAST(NULL AS VARCHAR) AS kb_ref,
       l.hilist_name, f.cnt_milli AS sold_cnt_milli, b.n_boxes
FROM (SELECT line_id, MIN(n_boxes) AS n_boxes FROM trace_boxes GROUP BY line_id) b
JOIN line_ctx l ON l.line_id = b.line_id
JOIN fee_lines f ON f.line_id = b.line_id
CROSS JOIN params p
WHERE NOT l.trdn_flag
  AND b.n_boxes * 1000 <> f.cnt_milli
