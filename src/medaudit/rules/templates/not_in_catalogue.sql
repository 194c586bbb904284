-- 目录外项目: fund-paid lines whose code matches no drug and no service-item prefix (consumables
-- excepted), reported once per (encounter, code): ten lines of one unknown code in one stay are one
-- finding, not ten. The finding points at the first such line (by fee time, then line id — the
-- pinned tie-break) and carries the amount of all of them; a partial encounter (real time) sees
-- a prefix of the lines, so its first line, hence its finding id, is the batch one.
WITH x AS (
  SELECT l.mdtrt_id, l.line_id, l.hilist_code, l.hilist_name, l.med_chrgitm_type, l.amt_fen,
         ROW_NUMBER() OVER (PARTITION BY l.mdtrt_id, l.hilist_code ORDER BY l.fee_ocur_time, l.line_id) AS rn,
         SUM(l.amt_fen) OVER (PARTITION BY l.mdtrt_id, l.hilist_code) AS total_fen,
         COUNT(*) OVER (PARTITION BY l.mdtrt_id, l.hilist_code) AS n_lines
  FROM line_ctx l
  WHERE l.drug_prefix IS NULL
    AND l.item_prefix IS NULL
    AND COALESCE(l.med_chrgitm_type, '') <> '08'
    AND NOT l.selfpay_flag
)
SELECT p.instance_id, x.mdtrt_id, x.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       CAST(x.total_fen AS BIGINT) AS amount_fen, CAST(NULL AS VARCHAR) AS kb_ref,
       x.hilist_code, x.hilist_name, CAST(x.n_lines AS BIGINT) AS n_lines,
       CASE x.med_chrgitm_type WHEN '01' THEN '床位费' WHEN '02' THEN '诊察费' WHEN '03' THEN '检查费'
            WHEN '04' THEN '化验费' WHEN '05' THEN '治疗费' WHEN '06' THEN '手术费' WHEN '07' THEN '护理费'
            WHEN '09' THEN '西药费' WHEN '10' THEN '中药饮片费' WHEN '11' THEN '中成药费'
            WHEN '12' THEN '一般诊疗费' WHEN '13' THEN '挂号费' WHEN '14' THEN '其他费'
            ELSE '收费类别' || COALESCE(x.med_chrgitm_type, '未知') END AS chrgitm_zh
FROM x
CROSS JOIN params p
WHERE x.rn = 1
