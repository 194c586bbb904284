-- 同时住院: inpatient stays self-joined on psn_no; the later-admitted stay (tie: larger mdtrt_id) offends.
SELECT p.instance_id, t.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       t.fund_pay_fen AS amount_fen, CAST(NULL AS VARCHAR) AS kb_ref,
       t.adm_dn, CASE WHEN t.dscg_dn = 2147483647 THEN NULL ELSE t.dscg_dn END AS dscg_dn,
       t.other_mdtrt_id, t.other_fixmedins_code, t.other_adm_dn,
       CASE WHEN t.other_dscg_dn = 2147483647 THEN NULL ELSE t.other_dscg_dn END AS other_dscg_dn,
       CASE WHEN t.overlap_days > 100000 THEN NULL ELSE t.overlap_days END AS overlap_days
FROM (
  SELECT b.mdtrt_id, COALESCE(b.fund_pay_fen, 0) AS fund_pay_fen, b.adm_dn, b.dscg_dn,
         a.mdtrt_id AS other_mdtrt_id, a.fixmedins_code AS other_fixmedins_code,
         a.adm_dn AS other_adm_dn, a.dscg_dn AS other_dscg_dn,
         CASE WHEN a.dscg_dn < b.dscg_dn THEN a.dscg_dn ELSE b.dscg_dn END
           - CASE WHEN a.adm_dn > b.adm_dn THEN a.adm_dn ELSE b.adm_dn END AS overlap_days,
         ROW_NUMBER() OVER (PARTITION BY b.mdtrt_id ORDER BY a.adm_dn, a.mdtrt_id) AS rn
  FROM (SELECT mdtrt_id, psn_no, fixmedins_code, adm_dn, stay_end_dn AS dscg_dn, fund_pay_fen
        FROM enc_ctx WHERE visit_type = 'inpatient') b
  JOIN (SELECT mdtrt_id, psn_no, fixmedins_code, adm_dn, stay_end_dn AS dscg_dn
        FROM enc_ctx WHERE visit_type = 'inpatient') a
    ON a.psn_no = b.psn_no
  WHERE a.mdtrt_id <> b.mdtrt_id
    AND a.adm_dn < b.dscg_dn AND b.adm_dn < a.dscg_dn
    AND (a.adm_dn < b.adm_dn OR (a.adm_dn = b.adm_dn AND a.mdtrt_id < b.mdtrt_id))
) t
CROSS JOIN params p
WHERE t.rn = 1
