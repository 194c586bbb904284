-- 限二线用药: one scan of the patient's drug lines of the classes that have a second-line drug;
-- a running MAX over (patient, class) in tie order gives the day of the last first-line line strictly
-- before each line, compared with each instance's look-back. "Before" (not "on the same day") keeps
-- real-time findings a subset of batch findings: a first-line order entered later cannot exonerate.
SELECT p.instance_id, s.mdtrt_id, s.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       s.amt_fen AS amount_fen, 'kb_drug:' || s.drug_prefix AS kb_ref,
       s.hilist_name, s.generic_name, s.restriction_text, s.drug_class, p.lookback_days, s.last_first_dn
FROM (
  SELECT l.mdtrt_id, l.line_id, l.amt_fen, l.hilist_name, l.selfpay_flag, l.drug_prefix, l.fee_dn,
         d.generic_name, d.restriction_text, d.drug_class,
         COALESCE(d.second_line, FALSE) AS is_second,
         MAX(CASE WHEN COALESCE(d.second_line, FALSE) THEN NULL ELSE l.fee_dn END)
           OVER (PARTITION BY l.psn_no, d.drug_class ORDER BY l.fee_ocur_time, l.line_id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS last_first_dn
  FROM line_ctx l
  JOIN kb_drug d ON d.code_prefix = l.drug_prefix
  LEFT JOIN (SELECT DISTINCT drug_class FROM kb_drug WHERE second_line) c ON c.drug_class = d.drug_class
  WHERE COALESCE(d.second_line, FALSE) OR c.drug_class IS NOT NULL
) s
CROSS JOIN params p
WHERE s.is_second
  AND NOT s.selfpay_flag
  AND (s.last_first_dn IS NULL OR s.last_first_dn < s.fee_dn - p.lookback_days)
