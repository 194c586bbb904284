-- 分解住院（按病组）: readmission to the same institution within max_gap_days of the previous
-- discharge, grouped into the same ADRG (previous = the patient's stay at that institution in that
-- ADRG before it by admission day, ties by mdtrt_id). Amount: the group payment of the readmission.
SELECT p.instance_id, b.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       b.payment_fen AS amount_fen, 'drg_group:' || b.adrg AS kb_ref,
       b.prev_mdtrt_id, b.prev_dscg_dn, b.adm_dn, b.adm_dn - b.prev_dscg_dn AS gap_days, p.max_gap_days,
       b.adrg, b.drg, b.drg_name
FROM (
  SELECT g.mdtrt_id, g.adm_dn, g.adrg, g.drg, g.drg_name, g.payment_fen,
         LAG(g.dscg_dn) OVER (PARTITION BY g.psn_no, g.fixmedins_code, g.adrg ORDER BY g.adm_dn, g.mdtrt_id) AS prev_dscg_dn,
         LAG(g.mdtrt_id) OVER (PARTITION BY g.psn_no, g.fixmedins_code, g.adrg ORDER BY g.adm_dn, g.mdtrt_id) AS prev_mdtrt_id
  FROM drg_groups g
  WHERE g.status = '分组成功'
) b
CROSS JOIN params p
WHERE b.prev_dscg_dn IS NOT NULL
  AND b.adm_dn >= b.prev_dscg_dn
  AND b.adm_dn - b.prev_dscg_dn <= p.max_gap_days
