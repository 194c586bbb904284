-- 住院天数异常（按主要诊断）(D5): a discharged stay whose length of stay exceeds the nearest-rank
-- percentile of the region's own discharged stays with the same main diagnosis (dscg_maindiag_code),
-- or of its 3-character ICD-10 category when fewer than min_group stays share the full code; the
-- group must hold at least min_group stays and the stay must last more than los_floor_days.
-- Nearest-rank percentile: the los_days of the k-th shortest stay of the group, k = ceil(pct * n / 100)
-- = (pct * n + 99) // 100, read with ROW_NUMBER()/COUNT() windows so that DuckDB, SQLite (no
-- percentile function) and Spark compute the same integer from the same text; ties in los_days do not
-- change the value at rank k, and mdtrt_id makes the row order total. Amount: the days beyond the
-- percentile's pro-rata share of the stay's fund payment (as abnormal_los).
WITH st AS (
  SELECT p.instance_id, e.mdtrt_id, e.dscg_maindiag_code AS diag_code,
         SUBSTRING(e.dscg_maindiag_code, 1, 3) AS diag_cat, e.los_days,
         p.percentile, p.min_group, p.los_floor_days
  FROM enc_ctx e
  CROSS JOIN params p
  WHERE e.visit_type = 'inpatient'
    AND e.dscg_time IS NOT NULL
    AND TRIM(e.dscg_maindiag_code) <> ''
),
rk AS (
  SELECT st.*,
         ROW_NUMBER() OVER (PARTITION BY st.instance_id, st.diag_code ORDER BY st.los_days, st.mdtrt_id) AS code_rn,
         COUNT(*) OVER (PARTITION BY st.instance_id, st.diag_code) AS code_n,
         ROW_NUMBER() OVER (PARTITION BY st.instance_id, st.diag_cat ORDER BY st.los_days, st.mdtrt_id) AS cat_rn,
         COUNT(*) OVER (PARTITION BY st.instance_id, st.diag_cat) AS cat_n
  FROM st
),
pc AS (
  SELECT rk.*,
         MAX(CASE WHEN rk.code_rn = (rk.percentile * rk.code_n + 99) // 100 THEN rk.los_days END)
           OVER (PARTITION BY rk.instance_id, rk.diag_code) AS code_pct_days,
         MAX(CASE WHEN rk.cat_rn = (rk.percentile * rk.cat_n + 99) // 100 THEN rk.los_days END)
           OVER (PARTITION BY rk.instance_id, rk.diag_cat) AS cat_pct_days
  FROM rk
),
gp AS (
  SELECT pc.*,
         CASE WHEN pc.code_n >= pc.min_group THEN pc.diag_code ELSE pc.diag_cat END AS group_code,
         CASE WHEN pc.code_n >= pc.min_group THEN '主要诊断' ELSE '主要诊断类目' END AS group_zh,
         CASE WHEN pc.code_n >= pc.min_group THEN pc.code_n ELSE pc.cat_n END AS group_n,
         CASE WHEN pc.code_n >= pc.min_group THEN pc.code_pct_days ELSE pc.cat_pct_days END AS pct_days
  FROM pc
)
SELECT gp.instance_id, gp.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       COALESCE(e.fund_pay_fen, 0) * (gp.los_days - gp.pct_days) // gp.los_days AS amount_fen,
       'param:percentile' AS kb_ref,
       e.adm_dn, e.dscg_dn, gp.los_days, gp.diag_code, gp.group_zh, gp.group_code, gp.group_n,
       gp.percentile, gp.pct_days, gp.min_group, gp.los_floor_days
FROM gp
JOIN enc_ctx e ON e.mdtrt_id = gp.mdtrt_id
WHERE gp.group_n >= gp.min_group
  AND gp.los_days > gp.pct_days
  AND gp.los_days > gp.los_floor_days
