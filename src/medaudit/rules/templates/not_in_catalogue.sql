-- 目录外项目: a fund-paid line matching no drug and no service-item prefix (consumables excepted).
-- It needs nothing but the line itself, so it fires on a single real-time request.
SELECT p.instance_id, l.mdtrt_id, l.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       l.amt_fen AS amount_fen, CAST(NULL AS VARCHAR) AS kb_ref,
       l.hilist_code, l.hilist_name,
       CASE l.med_chrgitm_type WHEN '01' THEN '床位费' WHEN '02' THEN '诊察费' WHEN '03' THEN '检查费'
            WHEN '04' THEN '化验费' WHEN '05' THEN '治疗费' WHEN '06' THEN '手术费' WHEN '07' THEN '护理费'
            WHEN '09' THEN '西药费' WHEN '10' THEN '中药饮片费' WHEN '11' THEN '中成药费'
            WHEN '12' THEN '一般诊疗费' WHEN '13' THEN '挂号费' WHEN '14' THEN '其他费'
            ELSE '收费类别' || COALESCE(l.med_chrgitm_type, '未知') END AS chrgitm_zh
FROM line_ctx l
CROSS JOIN params p
WHERE l.drug_prefix IS NULL
  AND l.item_prefix IS NULL
  AND COALESCE(l.med_chrgitm_type, '') <> '08'
  AND NOT l.selfpay_flag
