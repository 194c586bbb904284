-- 分解收费: components of one panel billed separately on one day while the panel had not been billed
-- before them (tie order): a panel billed later cannot withdraw a finding, so real time stays a subset.
-- Codes are matched to relations once per distinct code (m), then joined to lines by equality.
SELECT y.instance_id, y.mdtrt_id, y.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       y.amt_fen AS amount_fen, 'kb_item_relation:' || y.code_a || '>' || y.code_b AS kb_ref,
       y.hilist_name, COALESCE(k.name, y.code_a) AS panel_name, y.n_parts, y.min_parts, y.fee_dn
FROM (
  SELECT p.instance_id, p.min_parts, c.mdtrt_id, c.line_id, c.hilist_name, c.amt_fen, c.fee_dn, c.fee_ocur_time,
         c.code_a, c.code_b, c.n_parts,
         ROW_NUMBER() OVER (PARTITION BY p.instance_id, c.line_id ORDER BY c.code_a, c.code_b) AS pick
  FROM (
    SELECT x.mdtrt_id, x.line_id, x.hilist_name, x.amt_fen, x.fee_dn, x.fee_ocur_time, x.code_a, x.code_b,
           CAST(SUM(CASE WHEN x.part_rn = 1 THEN 1 ELSE 0 END)
             OVER (PARTITION BY x.mdtrt_id, x.fee_dn, x.code_a) AS BIGINT) AS n_parts
    FROM (
      SELECT l.mdtrt_id, l.line_id, l.hilist_name, l.amt_fen, l.fee_dn, l.fee_ocur_time, m.code_a, m.code_b,
             ROW_NUMBER() OVER (PARTITION BY l.mdtrt_id, l.fee_dn, m.code_a, m.code_b
                                ORDER BY l.fee_ocur_time, l.line_id) AS part_rn
      FROM line_ctx l
      JOIN (
        -- each distinct billed code -> (panel, its longest matching component prefix)
        SELECT hilist_code, code_a, code_b FROM (
          SELECT c.hilist_code, r.code_a, r.code_b,
                 ROW_NUMBER() OVER (PARTITION BY c.hilist_code, r.code_a
                                    ORDER BY LENGTH(r.code_b) DESC, r.code_b) AS rn
          FROM (SELECT DISTINCT hilist_code FROM line_ctx) c
          JOIN kb_item_relation r ON SUBSTRING(c.hilist_code, 1, LENGTH(r.code_b)) = r.code_b
          WHERE r.relation = 'decomposed'
        ) mm WHERE rn = 1
      ) m ON m.hilist_code = l.hilist_code
      WHERE NOT l.selfpay_flag
    ) x
  ) c
  CROSS JOIN params p
  WHERE c.n_parts >= p.min_parts
    AND NOT EXISTS (
      SELECT 1 FROM line_ctx a
      WHERE a.mdtrt_id = c.mdtrt_id AND a.fee_dn = c.fee_dn
        AND SUBSTRING(a.hilist_code, 1, LENGTH(c.code_a)) = c.code_a
        AND (a.fee_ocur_time < c.fee_ocur_time OR (a.fee_ocur_time = c.fee_ocur_time AND a.line_id < c.line_id))
    )
) y
LEFT JOIN kb_item k ON k.code_prefix = y.code_a
WHERE y.pick = 1
