-- 冒名就医信号 (D12, the card half): one card (psn_no) settled at two institutions in different pooling
-- regions (encounter medins_admdvs, 就医地) less than min_minutes apart — nobody is treated in two
-- places at once, so one of the two was someone else using the card. Times are compared to the
-- minute (day number × 1440 + hour × 60 + minute); the later settlement (tie: larger mdtrt_id)
-- offends, paired with the latest such earlier settlement (tie: larger mdtrt_id).
WITH s AS (
  SELECT mdtrt_id, psn_no, fixmedins_code, medins_admdvs, setl_time, setl_dn,
         HOUR(setl_time) AS setl_hh, MINUTE(setl_time) AS setl_mm,
         setl_dn * 1440 + HOUR(setl_time) * 60 + MINUTE(setl_time) AS setl_minute,
         COALESCE(fund_pay_fen, 0) AS fund_pay_fen
  FROM enc_ctx
  WHERE setl_time IS NOT NULL AND medins_admdvs IS NOT NULL AND medins_admdvs <> ''
)
SELECT t.instance_id, t.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       t.fund_pay_fen AS amount_fen, 'param:min_minutes' AS kb_ref,
       t.fixmedins_code, t.medins_admdvs, t.setl_dn, t.setl_hh, t.setl_mm,
       t.other_mdtrt_id, t.other_fixmedins_code, t.other_admdvs, t.other_setl_dn, t.other_hh, t.other_mm,
       t.gap_minutes, t.min_minutes
FROM (
  SELECT p.instance_id, p.min_minutes, b.mdtrt_id, b.fund_pay_fen, b.fixmedins_code, b.medins_admdvs,
         b.setl_dn, b.setl_hh, b.setl_mm,
         a.mdtrt_id AS other_mdtrt_id, a.fixmedins_code AS other_fixmedins_code, a.medins_admdvs AS other_admdvs,
         a.setl_dn AS other_setl_dn, a.setl_hh AS other_hh, a.setl_mm AS other_mm,
         b.setl_minute - a.setl_minute AS gap_minutes,
         ROW_NUMBER() OVER (PARTITION BY p.instance_id, b.mdtrt_id ORDER BY a.setl_time DESC, a.mdtrt_id DESC) AS rn
  FROM s b
  JOIN s a ON a.psn_no = b.psn_no
  CROSS JOIN params p
  WHERE a.mdtrt_id <> b.mdtrt_id
    AND a.fixmedins_code <> b.fixmedins_code
    AND a.medins_admdvs <> b.medins_admdvs
    AND (a.setl_time < b.setl_time OR (a.setl_time = b.setl_time AND a.mdtrt_id < b.mdtrt_id))
    AND b.setl_minute - a.setl_minute < p.min_minutes
) t
WHERE t.rn = 1
