-- 诊断与性别不符（冒名就医信号）: an encounter with a diagnosis whose longest-matching kb_diag_gender
-- prefix belongs to the other sex than the card holder's gend (a pregnancy code on a man's card: the
-- patient treated is not the holder, or the code is wrong). One finding per encounter citing the first
-- such diagnosis (main diagnosis first, then code) and how many distinct codes contradict; diagnoses
-- a kb_gender_exception prefix starts are exempt. The prefix join runs over diagnoses × a small table.
SELECT p.instance_id, c.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       COALESCE(e.fund_pay_fen, 0) AS amount_fen, 'kb_diag_gender:' || c.icd_prefix AS kb_ref,
       c.diag_code || COALESCE(' ' || c.diag_name, '') AS diag_zh, c.block_name,
       CASE e.gend WHEN '1' THEN '男' ELSE '女' END AS gend_zh,
       CASE c.gender WHEN '1' THEN '男性' ELSE '女性' END AS allowed_zh,
       c.n_codes,
       CASE WHEN c.n_codes > 1 THEN '等' || CAST(c.n_codes AS VARCHAR) || '个诊断' ELSE '' END AS more_zh
FROM (
  SELECT m.mdtrt_id, m.diag_code, m.diag_name, m.icd_prefix, m.gender, m.block_name,
         ROW_NUMBER() OVER (PARTITION BY m.mdtrt_id
                            ORDER BY CASE WHEN m.maindiag_flag THEN 0 ELSE 1 END, m.diag_code, m.diag_type) AS rn,
         CAST(SUM(CASE WHEN m.per_code = 1 THEN 1 ELSE 0 END) OVER (PARTITION BY m.mdtrt_id) AS BIGINT) AS n_codes
  FROM (
    SELECT b.*, ROW_NUMBER() OVER (PARTITION BY b.mdtrt_id, b.diag_code ORDER BY b.diag_type) AS per_code
    FROM (
      SELECT d.mdtrt_id, d.diag_code, d.diag_name, d.maindiag_flag, d.diag_type, k.icd_prefix, k.gender,
             k.name AS block_name, x.gend,
             ROW_NUMBER() OVER (PARTITION BY d.mdtrt_id, d.diag_code, d.diag_type
                                ORDER BY LENGTH(k.icd_prefix) DESC) AS best
      FROM diagnoses d
      JOIN enc_ctx x ON x.mdtrt_id = d.mdtrt_id
      JOIN kb_diag_gender k ON SUBSTRING(d.diag_code, 1, LENGTH(k.icd_prefix)) = k.icd_prefix
      WHERE x.gend IN ('1', '2')
        AND NOT EXISTS (
          SELECT 1 FROM kb_gender_exception g
          WHERE SUBSTRING(d.diag_code, 1, LENGTH(g.code_prefix)) = g.code_prefix
        )
    ) b
    WHERE b.best = 1 AND b.gender IN ('1', '2') AND b.gend <> b.gender
  ) m
) c
JOIN enc_ctx e ON e.mdtrt_id = c.mdtrt_id
CROSS JOIN params p
WHERE c.rn = 1
