-- 主次手术未折价 (B10): several surgeries of one group (kb_surgery: one incision or approach) billed in one
-- encounter on the same fee day; the main one is the highest price cap for the institution's level (ties:
-- tie order), every other one must be charged at no more than secondary_ratio_pct % of its cap. The
-- operation record carries no incision, so "same group, same encounter, same day" stands for 同一切口.
-- A line added later can only demote a main surgery (add a finding), never promote a secondary one.
WITH s AS (
  SELECT l.mdtrt_id, l.line_id, l.hilist_name, l.fee_dn, l.fee_ocur_time, l.pric_fen, l.cnt_milli,
         g.code_prefix, g.surgery_group, k.name AS item_name,
         CASE WHEN l.medins_lv = 3 THEN k.price_cap_lv3_fen
              WHEN l.medins_lv = 2 THEN k.price_cap_lv2_fen
              ELSE k.price_cap_lv1_fen END AS cap_fen
  FROM line_ctx l
  JOIN kb_surgery g ON g.code_prefix = l.item_prefix
  JOIN kb_item k ON k.code_prefix = g.code_prefix
  WHERE NOT l.selfpay_flag
),
ranked AS (
  SELECT s.*,
         ROW_NUMBER() OVER (PARTITION BY s.mdtrt_id, s.fee_dn, s.surgery_group
                            ORDER BY s.cap_fen DESC, s.fee_ocur_time, s.line_id) AS rn,
         FIRST_VALUE(s.line_id) OVER (PARTITION BY s.mdtrt_id, s.fee_dn, s.surgery_group
                                      ORDER BY s.cap_fen DESC, s.fee_ocur_time, s.line_id) AS main_line_id,
         FIRST_VALUE(s.hilist_name) OVER (PARTITION BY s.mdtrt_id, s.fee_dn, s.surgery_group
                                          ORDER BY s.cap_fen DESC, s.fee_ocur_time, s.line_id) AS main_name
  FROM s
  WHERE s.cap_fen IS NOT NULL
),
q AS (
  SELECT p.instance_id, p.secondary_ratio_pct, r.*,
         r.cap_fen * p.secondary_ratio_pct // 100 AS disc_fen,
         CASE WHEN r.pric_fen < r.cap_fen THEN r.pric_fen ELSE r.cap_fen END AS full_fen
  FROM ranked r
  CROSS JOIN params p
  WHERE r.rn > 1
)
SELECT q.instance_id, q.mdtrt_id, q.line_id, q.main_line_id AS related_line_id,
       (q.full_fen - q.disc_fen) * q.cnt_milli // 1000 AS amount_fen,
       'kb_surgery:' || q.code_prefix AS kb_ref,
       q.hilist_name, q.main_name, q.surgery_group, q.secondary_ratio_pct, q.pric_fen, q.cap_fen, q.disc_fen, q.fee_dn
FROM q
WHERE q.pric_fen * 100 > q.cap_fen * q.secondary_ratio_pct
