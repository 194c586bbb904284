-- 医保支付资格暂停/终止人员开方: a fee line whose ordering doctor (bilg_dr_code) had his or her
-- 医保支付资格 suspended or terminated on the line's fee day: staff_status (engine.prepare: one row per
-- status period, from the staff master data now, from the staff-scoring workflow when it lands) with
-- begin_dn <= fee_dn <= end_dn, end_dn NULL for an open-ended period. Services during a suspension are
-- not paid "except 急诊/抢救": emergency visits are exempt where exempt_emergency = 1. One equality join
-- of line_ctx to the small staff_status relation.
SELECT p.instance_id, l.mdtrt_id, l.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       l.amt_fen AS amount_fen, 'staff_status:' || s.source AS kb_ref,
       l.hilist_name, l.bilg_dr_code, s.qual_stas, s.begin_dn AS qual_begin_dn, s.end_dn AS qual_end_dn,
       l.fee_dn
FROM line_ctx l
JOIN staff_status s ON s.staff_code = l.bilg_dr_code
CROSS JOIN params p
WHERE l.fee_dn >= s.begin_dn
  AND (s.end_dn IS NULL OR l.fee_dn <= s.end_dn)
  AND NOT l.selfpay_flag
  AND (p.exempt_emergency = 0 OR l.visit_type <> 'emergency')
