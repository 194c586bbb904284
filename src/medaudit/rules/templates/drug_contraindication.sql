-- 配伍禁忌: contraindication prefixes of any length are matched to the distinct drug codes by equality
-- on the code cut to each prefix length in use (no non-equi join on lines); pairs are then an equality
-- self-join on (encounter, day) through both orientations of each knowledge pair.
WITH cp AS (
  SELECT DISTINCT c.hilist_code, k.pfx
  FROM (SELECT DISTINCT hilist_code FROM line_ctx WHERE is_drug OR drug_prefix IS NOT NULL) c
  CROSS JOIN (SELECT LENGTH(prefix_a) AS n FROM kb_contraindication
              UNION SELECT LENGTH(prefix_b) AS n FROM kb_contraindication) w
  JOIN (SELECT prefix_a AS pfx FROM kb_contraindication
        UNION SELECT prefix_b AS pfx FROM kb_contraindication) k ON k.pfx = SUBSTRING(c.hilist_code, 1, w.n)
),
dl AS (
  SELECT l.mdtrt_id, l.fee_dn, l.line_id, l.hilist_name, l.amt_fen, l.selfpay_flag, cp.pfx, l.fee_ocur_time
  FROM line_ctx l
  JOIN cp ON cp.hilist_code = l.hilist_code
),
kp AS (
  SELECT prefix_a, prefix_b, prefix_a AS p_later, prefix_b AS p_earlier, severity, note FROM kb_contraindication
  UNION ALL
  SELECT prefix_a, prefix_b, prefix_b AS p_later, prefix_a AS p_earlier, severity, note FROM kb_contraindication
)
SELECT p.instance_id, t.mdtrt_id, t.line_id, t.related_line_id, t.amt_fen AS amount_fen,
       'kb_contraindication:' || t.prefix_a || '+' || t.prefix_b AS kb_ref,
       t.hilist_name, t.related_name, t.severity, t.note
FROM (
  SELECT b.mdtrt_id, b.line_id, a.line_id AS related_line_id, b.amt_fen, b.hilist_name,
         a.hilist_name AS related_name, k.prefix_a, k.prefix_b, k.severity, k.note,
         ROW_NUMBER() OVER (PARTITION BY b.mdtrt_id, b.line_id
                            ORDER BY a.fee_ocur_time, a.line_id, k.prefix_a, k.prefix_b) AS pick
  FROM kp k
  JOIN dl b ON b.pfx = k.p_later
  JOIN dl a ON a.pfx = k.p_earlier AND a.mdtrt_id = b.mdtrt_id AND a.fee_dn = b.fee_dn
  WHERE (a.fee_ocur_time < b.fee_ocur_time OR (a.fee_ocur_time = b.fee_ocur_time AND a.line_id < b.line_id))
    AND NOT b.selfpay_flag
) t
CROSS JOIN params p
WHERE t.pick = 1
