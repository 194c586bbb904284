-- 重复用药: equality self-join of the day's drug lines on (encounter, day, ingredient); the later line
-- (tie order fee_ocur_time, line_id) offends, paired with the earliest line of another drug prefix.
-- A hash aggregate first keeps only (encounter, day, ingredient) groups with two or more prefixes, so
-- the window sort and the self-join see only candidate lines.
WITH dl AS (
  SELECT l.mdtrt_id, l.fee_dn, l.line_id, l.hilist_name, l.amt_fen, l.selfpay_flag, l.drug_prefix,
         d.ingredient,
         ROW_NUMBER() OVER (PARTITION BY l.mdtrt_id, l.fee_dn, d.ingredient
                            ORDER BY l.fee_ocur_time, l.line_id) AS rn
  FROM line_ctx l
  JOIN kb_drug d ON d.code_prefix = l.drug_prefix
  JOIN (SELECT g.mdtrt_id, g.fee_dn, k.ingredient
        FROM line_ctx g JOIN kb_drug k ON k.code_prefix = g.drug_prefix
        WHERE k.ingredient IS NOT NULL
        GROUP BY g.mdtrt_id, g.fee_dn, k.ingredient
        HAVING MIN(g.drug_prefix) <> MAX(g.drug_prefix)) m
    ON m.mdtrt_id = l.mdtrt_id AND m.fee_dn = l.fee_dn AND m.ingredient = d.ingredient
)
SELECT p.instance_id, t.mdtrt_id, t.line_id, t.related_line_id, t.amt_fen AS amount_fen,
       'kb_drug:' || t.drug_prefix AS kb_ref, t.hilist_name, t.related_name, t.ingredient
FROM (
  SELECT b.mdtrt_id, b.line_id, a.line_id AS related_line_id, b.amt_fen, b.drug_prefix, b.hilist_name,
         a.hilist_name AS related_name, b.ingredient,
         ROW_NUMBER() OVER (PARTITION BY b.mdtrt_id, b.line_id ORDER BY a.rn) AS pick
  FROM dl b
  JOIN dl a ON a.mdtrt_id = b.mdtrt_id AND a.fee_dn = b.fee_dn AND a.ingredient = b.ingredient
  WHERE a.rn < b.rn
    AND a.drug_prefix <> b.drug_prefix
    AND NOT b.selfpay_flag
) t
CROSS JOIN params p
WHERE t.pick = 1
