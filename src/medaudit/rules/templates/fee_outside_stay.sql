-- 费用日期不在就诊期间 (B14): a fund-paid inpatient line dated before admission or after discharge.
-- Compared to the minute when both sides carry a time of day; a value at exactly 00:00 is read as a
-- date-only export and compared by day, so a line on the discharge day before the discharge time, or
-- a date-only line on the admission day, never fires. Only the earlier side's time decides: a
-- date-only admission (00:00) compares by minute exactly as by day, and so does a date-only line
-- against a timed discharge. The whole line is the amount at stake.
WITH x AS (
  SELECT l.mdtrt_id, l.line_id, l.hilist_name, l.amt_fen, l.fee_dn,
         HOUR(l.fee_ocur_time) AS fee_hh, MINUTE(l.fee_ocur_time) AS fee_mi,
         e.adm_dn, HOUR(e.adm_time) AS adm_hh, MINUTE(e.adm_time) AS adm_mi,
         e.dscg_dn, HOUR(e.dscg_time) AS dscg_hh, MINUTE(e.dscg_time) AS dscg_mi, e.dscg_time
  FROM line_ctx l
  JOIN enc_ctx e ON e.mdtrt_id = l.mdtrt_id
  WHERE l.visit_type = 'inpatient'
    AND NOT l.selfpay_flag
),
y AS (
  SELECT x.*,
         CASE WHEN fee_hh + fee_mi > 0
              THEN fee_dn * 1440 + fee_hh * 60 + fee_mi < adm_dn * 1440 + adm_hh * 60 + adm_mi
              ELSE fee_dn < adm_dn END AS before_adm,
         CASE WHEN dscg_hh + dscg_mi > 0
              THEN fee_dn * 1440 + fee_hh * 60 + fee_mi > dscg_dn * 1440 + dscg_hh * 60 + dscg_mi
              ELSE fee_dn > dscg_dn END AS after_dscg
  FROM x
)
SELECT p.instance_id, y.mdtrt_id, y.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       y.amt_fen AS amount_fen,
       CASE WHEN y.before_adm THEN 'encounters:adm_time' ELSE 'encounters:dscg_time' END AS kb_ref,
       y.hilist_name, y.fee_dn, y.fee_hh, y.fee_mi,
       CASE WHEN y.before_adm THEN '入院前' ELSE '出院后' END AS side_zh,
       CASE WHEN y.before_adm THEN '入院时间' ELSE '出院时间' END AS ref_zh,
       CASE WHEN y.before_adm THEN y.adm_dn ELSE y.dscg_dn END AS ref_dn,
       CASE WHEN y.before_adm THEN y.adm_hh ELSE y.dscg_hh END AS ref_hh,
       CASE WHEN y.before_adm THEN y.adm_mi ELSE y.dscg_mi END AS ref_mi
FROM y
CROSS JOIN params p
WHERE y.before_adm OR (y.dscg_time IS NOT NULL AND y.after_dscg)
