-- 超每日最大剂量: the excess share of the line amount, (dose - max) / dose, in integer fen.
SELECT p.instance_id, l.mdtrt_id, l.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       l.amt_fen * (l.daily_dose_milli - d.max_daily_dose_milli) // l.daily_dose_milli AS amount_fen,
       'kb_drug:' || d.code_prefix AS kb_ref,
       l.hilist_name, d.generic_name, l.daily_dose_milli, d.max_daily_dose_milli, l.dose_unit
FROM line_ctx l
JOIN kb_drug d ON d.code_prefix = l.drug_prefix
CROSS JOIN params p
WHERE d.max_daily_dose_milli IS NOT NULL
  AND l.daily_dose_milli > d.max_daily_dose_milli
  AND l.dose_unit = d.dose_unit
  AND NOT l.selfpay_flag
