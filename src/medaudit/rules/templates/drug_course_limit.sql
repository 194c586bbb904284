-- 药品限支付疗程 (A10): the days of use of a course-limited drug (kb_course_limit) over the patient's
-- encounters at any institution. A line covers fee_dn .. fee_dn + prd_days - 1 (one day without
-- prd_days); days are counted once however many lines cover them (a running MAX of the covered end
-- in tie order gives each line's new days, so overlapping supplies and same-day lines add nothing).
-- Use restarting after more than gap_days days without cover starts a new course. The course's last
-- paid day (limit_dn) is where its days reach course_days; every line covering days after it is a
-- finding, for the share of its days beyond limit_dn. Later lines never move earlier findings.
WITH u AS (
  SELECT p.instance_id, l.psn_no, l.mdtrt_id, l.line_id, l.fee_ocur_time, l.fee_dn, l.amt_fen, l.hilist_name,
         c.code_prefix, c.course_days, COALESCE(c.gap_days, p.gap_days) AS gap_days,
         CASE WHEN l.prd_days > 0 THEN l.prd_days ELSE 1 END AS line_days
  FROM line_ctx l
  JOIN kb_course_limit c ON c.code_prefix = l.drug_prefix
  CROSS JOIN params p
  WHERE NOT l.selfpay_flag
),
a AS (
  SELECT u.*, u.fee_dn + u.line_days - 1 AS end_dn,
         MAX(u.fee_dn + u.line_days - 1) OVER (PARTITION BY u.instance_id, u.psn_no, u.code_prefix
                                               ORDER BY u.fee_ocur_time, u.line_id
                                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end_dn
  FROM u
),
b AS (
  SELECT a.*,
         CASE WHEN a.prev_end_dn IS NULL OR a.prev_end_dn < a.fee_dn THEN a.line_days
              WHEN a.prev_end_dn >= a.end_dn THEN 0
              ELSE a.end_dn - a.prev_end_dn END AS new_days,
         SUM(CASE WHEN a.prev_end_dn IS NULL OR a.fee_dn - a.prev_end_dn > a.gap_days THEN 1 ELSE 0 END)
           OVER (PARTITION BY a.instance_id, a.psn_no, a.code_prefix ORDER BY a.fee_ocur_time, a.line_id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS course_no
  FROM a
),
c AS (
  SELECT b.*,
         SUM(b.new_days) OVER (PARTITION BY b.instance_id, b.psn_no, b.code_prefix, b.course_no
                               ORDER BY b.fee_ocur_time, b.line_id
                               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS used_days
  FROM b
),
d AS (
  SELECT c.*,
         MAX(CASE WHEN c.used_days >= c.course_days AND c.used_days - c.new_days < c.course_days
                  THEN c.end_dn - (c.used_days - c.course_days) END)
           OVER (PARTITION BY c.instance_id, c.psn_no, c.code_prefix, c.course_no) AS limit_dn
  FROM c
),
x AS (
  SELECT d.*, CASE WHEN d.fee_dn > d.limit_dn THEN d.line_days ELSE d.end_dn - d.limit_dn END AS excess_days
  FROM d
  WHERE d.limit_dn IS NOT NULL AND d.end_dn > d.limit_dn
)
SELECT x.instance_id, x.mdtrt_id, x.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       x.amt_fen * x.excess_days // x.line_days AS amount_fen,
       'kb_course_limit:' || x.code_prefix AS kb_ref,
       x.hilist_name, x.course_days, x.gap_days, x.used_days, x.limit_dn, x.excess_days, x.line_days
FROM x
