-- 医疗服务项目限支付疗程 (A11): the days of use of a course-limited service item (kb_course_limit on
-- item_prefix) over the patient's encounters at any institution. A line is one day of use (its fee
-- day): a day counts once however many lines fall on it. Use restarting more than gap_days days after
-- the previous day of use starts a new course. Every line on a day of use beyond the course's
-- course_days-th is a finding, for its whole amount. Lines are taken in tie order (fee time, line id),
-- so later lines never move earlier findings. 评定间隔 limits ("不短于14天") are kb_item_cycle's
-- (item_cycle_freq), not this rule's.
WITH u AS (
  SELECT p.instance_id, l.psn_no, l.mdtrt_id, l.line_id, l.fee_ocur_time, l.fee_dn, l.amt_fen, l.hilist_name,
         c.code_prefix, c.course_days, COALESCE(c.gap_days, p.gap_days) AS gap_days,
         MAX(l.fee_dn) OVER (PARTITION BY p.instance_id, l.psn_no, c.code_prefix
                             ORDER BY l.fee_ocur_time, l.line_id
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_dn
  FROM line_ctx l
  JOIN kb_course_limit c ON c.code_prefix = l.item_prefix
  CROSS JOIN params p
  WHERE NOT l.selfpay_flag
),
b AS (
  SELECT u.*,
         CASE WHEN u.prev_dn IS NULL OR u.prev_dn < u.fee_dn THEN 1 ELSE 0 END AS new_day,
         SUM(CASE WHEN u.prev_dn IS NULL OR u.fee_dn - u.prev_dn > u.gap_days THEN 1 ELSE 0 END)
           OVER (PARTITION BY u.instance_id, u.psn_no, u.code_prefix ORDER BY u.fee_ocur_time, u.line_id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS course_no
  FROM u
),
c AS (
  SELECT b.*,
         SUM(b.new_day) OVER (PARTITION BY b.instance_id, b.psn_no, b.code_prefix, b.course_no
                              ORDER BY b.fee_ocur_time, b.line_id
                              ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS day_no,
         MIN(b.fee_dn) OVER (PARTITION BY b.instance_id, b.psn_no, b.code_prefix, b.course_no) AS course_start_dn
  FROM b
)
SELECT c.instance_id, c.mdtrt_id, c.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       c.amt_fen AS amount_fen,
       'kb_course_limit:' || c.code_prefix AS kb_ref,
       c.hilist_name, c.course_days, c.gap_days, c.day_no, c.course_start_dn
FROM c
WHERE c.day_no > c.course_days
