-- 超标准收费: price above the cap for the institution's level (level 0 uses the level-1 cap).
SELECT p.instance_id, t.mdtrt_id, t.line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       (t.pric_fen - t.cap_fen) * t.cnt_milli // 1000 AS amount_fen,
       'kb_item:' || t.code_prefix AS kb_ref,
       t.hilist_name, t.pric_fen, t.cap_fen, t.level_zh, t.cnt_milli
FROM (
  SELECT l.mdtrt_id, l.line_id, l.hilist_name, l.pric_fen, l.cnt_milli, k.code_prefix,
         CASE WHEN l.medins_lv = 3 THEN k.price_cap_lv3_fen
              WHEN l.medins_lv = 2 THEN k.price_cap_lv2_fen
              ELSE k.price_cap_lv1_fen END AS cap_fen,
         CASE WHEN l.medins_lv = 3 THEN '三级' WHEN l.medins_lv = 2 THEN '二级' ELSE '一级' END AS level_zh
  FROM line_ctx l
  JOIN kb_item k ON k.code_prefix = l.item_prefix
  WHERE NOT l.selfpay_flag
) t
CROSS JOIN params p
WHERE t.cap_fen IS NOT NULL AND t.pric_fen > t.cap_fen
