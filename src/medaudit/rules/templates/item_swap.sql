-- 串换项目/药品 (B9): a paid line billed under a kb_item_swap billed entry (its item_prefix, else its
-- drug_prefix) when the encounter shows the row's signal that the cheaper actual entry was done:
--   诊断 — a diagnosis of the encounter starts with the row's icd_prefix;
--   单价 — the line's unit price is within tolerance_pct (row value, else param) of the actual entry's
--          reference price and more than tolerance_pct below the billed entry's.
-- Reference prices: an item's cap for the institution's level (level 0 uses lv1, as over_price), a
-- drug's ref_price_fen; a row whose entries have no reference price cannot be priced and is skipped.
-- Several rows may hold for one line: the one whose actual entry is dearest is reported (the smallest
-- amount, the conservative reading), ties by prefix, signal and diagnosis code.
WITH s AS (
  SELECT p.instance_id, l.mdtrt_id, l.line_id, l.hilist_name, l.amt_fen, l.pric_fen, l.cnt_milli,
         w.billed_prefix, w.actual_prefix, w.signal, w.icd_prefix,
         COALESCE(w.tolerance_pct, p.tolerance_pct) AS tolerance_pct,
         COALESCE(CASE WHEN l.medins_lv = 3 THEN ia.price_cap_lv3_fen WHEN l.medins_lv = 2 THEN ia.price_cap_lv2_fen
                       ELSE ia.price_cap_lv1_fen END, da.ref_price_fen) AS actual_ref_fen,
         COALESCE(CASE WHEN l.medins_lv = 3 THEN ib.price_cap_lv3_fen WHEN l.medins_lv = 2 THEN ib.price_cap_lv2_fen
                       ELSE ib.price_cap_lv1_fen END, db.ref_price_fen) AS billed_ref_fen,
         COALESCE(ia.name, da.generic_name, w.actual_prefix) AS actual_name,
         COALESCE(ib.name, db.generic_name, w.billed_prefix) AS billed_name
  FROM line_ctx l
  JOIN kb_item_swap w ON w.billed_prefix = COALESCE(l.item_prefix, l.drug_prefix)
  LEFT JOIN kb_item ia ON ia.code_prefix = w.actual_prefix
  LEFT JOIN kb_drug da ON da.code_prefix = w.actual_prefix
  LEFT JOIN kb_item ib ON ib.code_prefix = w.billed_prefix
  LEFT JOIN kb_drug db ON db.code_prefix = w.billed_prefix
  CROSS JOIN params p
  WHERE NOT l.selfpay_flag
),
hit AS (
  SELECT s.*, d.diag_code AS signal_code,
         '本次就诊诊断' || d.diag_code || '提示实际实施的是较低价项目' AS signal_zh
  FROM s
  JOIN diagnoses d ON d.mdtrt_id = s.mdtrt_id
  WHERE s.signal = '诊断' AND SUBSTRING(d.diag_code, 1, LENGTH(s.icd_prefix)) = s.icd_prefix
    AND s.actual_ref_fen IS NOT NULL
  UNION ALL
  SELECT s.*, '' AS signal_code,
         '收费单价与较低价项目的参考单价相符，而明显低于所收项目的参考单价' AS signal_zh
  FROM s
  WHERE s.signal = '单价' AND s.actual_ref_fen IS NOT NULL AND s.billed_ref_fen IS NOT NULL
    AND ABS(s.pric_fen - s.actual_ref_fen) * 100 <= s.actual_ref_fen * s.tolerance_pct
    AND s.pric_fen * 100 < s.billed_ref_fen * (100 - s.tolerance_pct)
),
ranked AS (
  SELECT hit.*,
         ROW_NUMBER() OVER (PARTITION BY hit.instance_id, hit.line_id
                            ORDER BY hit.actual_ref_fen DESC, hit.actual_prefix, hit.signal, hit.signal_code) AS rn
  FROM hit
)
SELECT r.instance_id, r.mdtrt_id, r.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       CASE WHEN r.amt_fen > r.actual_ref_fen * r.cnt_milli // 1000
            THEN r.amt_fen - r.actual_ref_fen * r.cnt_milli // 1000 ELSE 0 END AS amount_fen,
       'kb_item_swap:' || r.billed_prefix || '>' || r.actual_prefix AS kb_ref,
       r.hilist_name, r.billed_name, r.actual_name, r.signal, r.signal_zh, r.pric_fen, r.billed_ref_fen,
       r.actual_ref_fen, r.tolerance_pct
FROM ranked r
WHERE r.rn = 1
