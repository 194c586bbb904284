-- 诊断与患者年龄不符: an encounter with a diagnosis whose longest-matching kb_diag_age prefix limits the
-- age (completed years at admission, enc_ctx.age) to [age_min, age_max) and the patient is outside it
-- (a perinatal code on a 30-year-old, a pregnancy code on an 80-year-old). One finding per encounter
-- citing the first such diagnosis (main diagnosis first, then code) and how many distinct codes
-- contradict. Window counts are nested (no COUNT(DISTINCT) OVER: SQLite and Spark lack it).
SELECT p.instance_id, c.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       COALESCE(e.fund_pay_fen, 0) AS amount_fen, 'kb_diag_age:' || c.icd_prefix AS kb_ref,
       c.diag_code || COALESCE(' ' || c.diag_name, '') AS diag_zh, c.block_name, e.age,
       CASE WHEN c.age_min IS NOT NULL AND c.age_max IS NOT NULL
                 THEN CAST(c.age_min AS VARCHAR) || '岁及以上、' || CAST(c.age_max AS VARCHAR) || '岁以下'
            WHEN c.age_max IS NOT NULL THEN CAST(c.age_max AS VARCHAR) || '岁以下'
            ELSE CAST(c.age_min AS VARCHAR) || '岁及以上' END AS age_range_zh,
       c.n_codes,
       CASE WHEN c.n_codes > 1 THEN '等' || CAST(c.n_codes AS VARCHAR) || '个诊断' ELSE '' END AS more_zh
FROM (
  SELECT m.mdtrt_id, m.diag_code, m.diag_name, m.icd_prefix, m.age_min, m.age_max, m.block_name,
         ROW_NUMBER() OVER (PARTITION BY m.mdtrt_id
                            ORDER BY CASE WHEN m.maindiag_flag THEN 0 ELSE 1 END, m.diag_code, m.diag_type) AS rn,
         CAST(SUM(CASE WHEN m.per_code = 1 THEN 1 ELSE 0 END) OVER (PARTITION BY m.mdtrt_id) AS BIGINT) AS n_codes
  FROM (
    SELECT b.*, ROW_NUMBER() OVER (PARTITION BY b.mdtrt_id, b.diag_code ORDER BY b.diag_type) AS per_code
    FROM (
      SELECT d.mdtrt_id, d.diag_code, d.diag_name, d.maindiag_flag, d.diag_type, k.icd_prefix, k.age_min,
             k.age_max, k.name AS block_name, x.age,
             ROW_NUMBER() OVER (PARTITION BY d.mdtrt_id, d.diag_code, d.diag_type
                                ORDER BY LENGTH(k.icd_prefix) DESC) AS best
      FROM diagnoses d
      JOIN enc_ctx x ON x.mdtrt_id = d.mdtrt_id
      JOIN kb_diag_age k ON SUBSTRING(d.diag_code, 1, LENGTH(k.icd_prefix)) = k.icd_prefix
      WHERE x.age IS NOT NULL
    ) b
    WHERE b.best = 1 AND (b.age < b.age_min OR b.age >= b.age_max)
  ) m
) c
JOIN enc_ctx e ON e.mdtrt_id = c.mdtrt_id
CROSS JOIN params p
WHERE c.rn = 1
