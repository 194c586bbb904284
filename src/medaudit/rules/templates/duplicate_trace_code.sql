-- 重复追溯码, per box: trace_boxes holds one row per box code of a line (the 追溯码 field split at
-- prepare time). A hash aggregate keeps only codes seen more than once (almost every code is unique,
-- so the window below stays small); one window pass over those boxes, partitioned by the code and
-- ordered by (fee_ocur_time, line_id, box_no). A later whole-box sale pairs with the code's first sale;
-- a later split (拆零) sale pairs with the code's first whole-box sale if that one came earlier (one
-- box split across lines is legitimate). Boxes of one line that repeat against the same earlier line
-- make one finding; its amount is the line amount's share of the repeated boxes.
SELECT p.instance_id, t.mdtrt_id, t.line_id, t.related_line_id,
       MIN(t.amt_fen) * COUNT(*) // MIN(t.n_boxes) AS amount_fen, CAST(NULL AS VARCHAR) AS kb_ref,
       MIN(t.hilist_name) AS hilist_name, MIN(t.trace_code) AS drug_trac_codg, COUNT(*) AS dup_boxes,
       MIN(t.n_boxes) AS n_boxes, MIN(t.first_fee_dn) AS first_fee_dn,
       MIN(t.first_fixmedins_code) AS first_fixmedins_code, MIN(t.first_mdtrt_id) AS first_mdtrt_id
FROM (
  SELECT s.mdtrt_id, s.line_id, s.amt_fen, s.hilist_name, s.trace_code, s.n_boxes,
         CASE WHEN s.split = 0 THEN s.f_line_id ELSE s.w_line_id END AS related_line_id,
         CASE WHEN s.split = 0 THEN s.f_fee_dn ELSE s.w_fee_dn END AS first_fee_dn,
         CASE WHEN s.split = 0 THEN s.f_fixmedins_code ELSE s.w_fixmedins_code END AS first_fixmedins_code,
         CASE WHEN s.split = 0 THEN s.f_mdtrt_id ELSE s.w_mdtrt_id END AS first_mdtrt_id
  FROM (
    SELECT u.*,
           MIN(CASE WHEN u.split = 0 THEN u.rn END) OVER (PARTITION BY u.trace_code) AS w_rn
    FROM (
      SELECT l.mdtrt_id, l.line_id, l.amt_fen, l.hilist_name, b.trace_code, b.n_boxes, l.selfpay_flag,
             CASE WHEN l.trdn_flag THEN 1 ELSE 0 END AS split,
             ROW_NUMBER() OVER w_first AS rn,
             FIRST_VALUE(l.line_id) OVER w_first AS f_line_id,
             FIRST_VALUE(l.fee_dn) OVER w_first AS f_fee_dn,
             FIRST_VALUE(l.fixmedins_code) OVER w_first AS f_fixmedins_code,
             FIRST_VALUE(l.mdtrt_id) OVER w_first AS f_mdtrt_id,
             FIRST_VALUE(l.line_id) OVER w_whole AS w_line_id,
             FIRST_VALUE(l.fee_dn) OVER w_whole AS w_fee_dn,
             FIRST_VALUE(l.fixmedins_code) OVER w_whole AS w_fixmedins_code,
             FIRST_VALUE(l.mdtrt_id) OVER w_whole AS w_mdtrt_id
      FROM trace_boxes b
      JOIN (SELECT trace_code FROM trace_boxes GROUP BY trace_code HAVING COUNT(*) > 1) m
        ON m.trace_code = b.trace_code
      JOIN line_ctx l ON l.line_id = b.line_id
      WINDOW w_first AS (PARTITION BY b.trace_code ORDER BY l.fee_ocur_time, l.line_id, b.box_no),
             w_whole AS (PARTITION BY b.trace_code
                         ORDER BY CASE WHEN l.trdn_flag THEN 1 ELSE 0 END, l.fee_ocur_time, l.line_id, b.box_no)
    ) u
  ) s
  WHERE s.rn > 1
    AND NOT s.selfpay_flag
    AND (s.split = 0 OR s.w_rn < s.rn)
) t
CROSS JOIN params p
GROUP BY p.instance_id, t.mdtrt_id, t.line_id, t.related_line_id
