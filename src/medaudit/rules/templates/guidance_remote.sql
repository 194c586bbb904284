-- 辅导期机构异地结算: an institution inside its guidance period settling a patient insured elsewhere.
-- The period runs from the designation date for guidance_months (+ extension_months after a recorded
-- minor violation), up to but not including the same day of the month that many months later. Dates
-- are compared as (year * 12 + month) * 100 + day keys, plain integer arithmetic on every engine (a
-- missing end day, 08-31 + 6 months, ends the period with the last day of that month). Without a
-- designation date the static guidance_flag decides. 异地 is the export's own remote_flag where it has
-- one, else the pooling areas differ in their first pooling_digits digits (4: city pooling).
SELECT p.instance_id, e.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       COALESCE(e.fund_pay_fen, 0) AS amount_fen,
       CASE WHEN e.designation_date IS NULL THEN 'institutions:guidance_flag'
            ELSE 'institutions:designation_date' END AS kb_ref,
       e.fixmedins_code, e.psn_admdvs, e.medins_admdvs, e.adm_dn,
       e.designation_dn,
       p.guidance_months + CASE WHEN e.guidance_extended_flag THEN p.extension_months ELSE 0 END AS period_months
FROM enc_ctx e
CROSS JOIN params p
WHERE NOT e.regional_center_flag
  AND COALESCE(e.remote_flag,
               SUBSTRING(e.psn_admdvs, 1, p.pooling_digits) <> SUBSTRING(e.medins_admdvs, 1, p.pooling_digits))
  AND CASE WHEN e.designation_date IS NULL THEN e.guidance_flag
           ELSE (YEAR(e.adm_time) * 12 + MONTH(e.adm_time)) * 100 + DAYOFMONTH(e.adm_time)
                  >= (YEAR(e.designation_date) * 12 + MONTH(e.designation_date)) * 100 + DAYOFMONTH(e.designation_date)
                AND (YEAR(e.adm_time) * 12 + MONTH(e.adm_time)) * 100 + DAYOFMONTH(e.adm_time)
                  < (YEAR(e.designation_date) * 12 + MONTH(e.designation_date) + p.guidance_months
                     + CASE WHEN e.guidance_extended_flag THEN p.extension_months ELSE 0 END) * 100
                    + DAYOFMONTH(e.designation_date)
      END
