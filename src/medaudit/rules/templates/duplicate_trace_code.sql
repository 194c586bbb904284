-- 重复追溯码: a hash aggregate keeps only codes seen on more than one line (almost every code is
-- unique, so the sort below stays small); one window pass over those lines, partitioned by the code and
-- ordered by (fee_ocur_time, line_id). A later non-split line pairs with the code's first line; a later
-- split (拆零) line pairs with the code's first non-split line if that one came earlier (two split
-- sales of one box are legitimate). The related line's details come from the same window pass.
SELECT p.instance_id, t.mdtrt_id, t.line_id,
       CASE WHEN t.split = 0 THEN t.f_line_id ELSE t.w_line_id END AS related_line_id,
       t.amt_fen AS amount_fen, CAST(NULL AS VARCHAR) AS kb_ref, t.hilist_name, t.drug_trac_codg,
       CASE WHEN t.split = 0 THEN t.f_fee_dn ELSE t.w_fee_dn END AS first_fee_dn,
       CASE WHEN t.split = 0 THEN t.f_fixmedins_code ELSE t.w_fixmedins_code END AS first_fixmedins_code,
       CASE WHEN t.split = 0 THEN t.f_mdtrt_id ELSE t.w_mdtrt_id END AS first_mdtrt_id
FROM (
  SELECT s.*,
         MIN(CASE WHEN s.split = 0 THEN s.rn END) OVER (PARTITION BY s.drug_trac_codg) AS w_rn
  FROM (
    SELECT l.mdtrt_id, l.line_id, l.amt_fen, l.hilist_name, l.drug_trac_codg, l.selfpay_flag,
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
    FROM line_ctx l
    JOIN (SELECT drug_trac_codg FROM line_ctx
          WHERE drug_trac_codg IS NOT NULL AND drug_trac_codg <> ''
          GROUP BY drug_trac_codg HAVING COUNT(*) > 1) m ON m.drug_trac_codg = l.drug_trac_codg
    WINDOW w_first AS (PARTITION BY l.drug_trac_codg ORDER BY l.fee_ocur_time, l.line_id),
           w_whole AS (PARTITION BY l.drug_trac_codg
                       ORDER BY CASE WHEN l.trdn_flag THEN 1 ELSE 0 END, l.fee_ocur_time, l.line_id)
  ) s
) t
CROSS JOIN params p
WHERE t.rn > 1
  AND NOT t.selfpay_flag
  AND (t.split = 0 OR t.w_rn < t.rn)
