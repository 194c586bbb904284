-- 辅导期机构异地结算: institution in its guidance period settling a patient insured elsewhere.
SELECT p.instance_id, e.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       COALESCE(e.fund_pay_fen, 0) AS amount_fen, 'institutions:guidance_flag' AS kb_ref,
       e.fixmedins_code, e.psn_admdvs, e.medins_admdvs
FROM enc_ctx e
CROSS JOIN params p
WHERE e.guidance_flag
  AND NOT e.regional_center_flag
  AND e.psn_admdvs <> e.medins_admdvs
