-- 重复开药/超量持有 (C3, across visits): a dispensing (non-inpatient line, or discharge medication)
-- while the patient still holds the same active ingredient from dispensings of OTHER encounters at
-- any institution. An earlier line (fee time, line id) still covers this line's fee day when
-- fee_dn + prd_days > this fee_dn; its days left are that difference, summed over all earlier lines
-- (each earlier prescription used up on its own: a conservative reading of the stock on hand).
-- Days left beyond max_overlap_days are excess; the amount is the line's share for the excess days
-- (capped at the line's own days), integer fen. Evidence pairs the earlier line with most days left.
WITH disp AS (
  SELECT l.mdtrt_id, l.psn_no, l.line_id, l.hilist_name, l.amt_fen, l.fee_dn, l.fee_ocur_time,
         l.prd_days, l.selfpay_flag, l.drug_prefix, d.ingredient
  FROM line_ctx l
  JOIN kb_drug d ON d.code_prefix = l.drug_prefix
  WHERE d.ingredient IS NOT NULL
    AND l.prd_days > 0
    AND (l.visit_type <> 'inpatient' OR l.drord_bhvr = '1')
),
pairs AS (
  SELECT b.mdtrt_id, b.line_id, b.hilist_name, b.amt_fen, b.prd_days, b.drug_prefix, b.ingredient,
         a.line_id AS related_line_id, a.hilist_name AS related_name, a.fee_dn AS related_fee_dn,
         a.prd_days AS related_prd_days, a.fee_dn + a.prd_days - b.fee_dn AS left_days
  FROM disp b
  JOIN disp a ON a.psn_no = b.psn_no AND a.ingredient = b.ingredient
  WHERE a.mdtrt_id <> b.mdtrt_id
    AND NOT b.selfpay_flag
    AND a.fee_dn + a.prd_days > b.fee_dn
    AND (a.fee_ocur_time < b.fee_ocur_time OR (a.fee_ocur_time = b.fee_ocur_time AND a.line_id < b.line_id))
),
held AS (
  SELECT line_id, CAST(SUM(left_days) AS BIGINT) AS on_hand_days FROM pairs GROUP BY line_id
)
SELECT t.instance_id, t.mdtrt_id, t.line_id, t.related_line_id,
       t.amt_fen * t.excess_days // t.prd_days AS amount_fen,
       'kb_drug:' || t.drug_prefix AS kb_ref, t.hilist_name, t.ingredient, t.prd_days, t.on_hand_days,
       t.excess_days, t.related_name, t.related_fee_dn, t.related_prd_days, t.max_overlap_days
FROM (
  SELECT p.instance_id, p.max_overlap_days, x.mdtrt_id, x.line_id, x.related_line_id, x.amt_fen, x.prd_days,
         x.drug_prefix, x.hilist_name, x.ingredient, x.related_name, x.related_fee_dn, x.related_prd_days,
         h.on_hand_days,
         CASE WHEN h.on_hand_days - p.max_overlap_days < x.prd_days THEN h.on_hand_days - p.max_overlap_days
              ELSE x.prd_days END AS excess_days,
         ROW_NUMBER() OVER (PARTITION BY p.instance_id, x.line_id
                            ORDER BY x.left_days DESC, x.related_fee_dn, x.related_line_id) AS pick
  FROM pairs x
  JOIN held h ON h.line_id = x.line_id
  CROSS JOIN params p
  WHERE h.on_hand_days > p.max_overlap_days
) t
WHERE t.pick = 1
