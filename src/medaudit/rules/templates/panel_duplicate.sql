-- 组合项目重复: a component billed beside its panel on the same day of one encounter (the panel's
-- price already includes it). Components match kb_item_panel by code prefix (the longest per panel),
-- the panel by its catalogue prefix (line_ctx.item_prefix). The panel may
-- come before or after the component: a panel entered later adds a finding but never withdraws one,
-- so real time stays a subset of batch. One finding per component line: the panel of the smallest
-- code, against its first line of the day in tie order (fee time, line id).
WITH m AS (
  -- each distinct billed code -> the panels with a component prefix it matches
  SELECT c.hilist_code, k.panel_prefix, k.component_prefix, k.note
  FROM (SELECT DISTINCT hilist_code FROM line_ctx) c
  JOIN kb_item_panel k ON SUBSTRING(c.hilist_code, 1, LENGTH(k.component_prefix)) = k.component_prefix
),
pairs AS (
  SELECT c.mdtrt_id, c.line_id, p.line_id AS panel_line_id, c.hilist_name, c.amt_fen, c.fee_dn,
         m.panel_prefix, m.component_prefix, m.note,
         ROW_NUMBER() OVER (PARTITION BY c.line_id
                            ORDER BY m.panel_prefix, LENGTH(m.component_prefix) DESC,
                                     p.fee_ocur_time, p.line_id) AS pick
  FROM line_ctx c
  JOIN m ON m.hilist_code = c.hilist_code
  JOIN line_ctx p ON p.mdtrt_id = c.mdtrt_id AND p.fee_dn = c.fee_dn AND p.item_prefix = m.panel_prefix
  WHERE NOT c.selfpay_flag
    AND NOT p.selfpay_flag
    AND p.line_id <> c.line_id
)
SELECT pr.instance_id, t.mdtrt_id, t.line_id, t.panel_line_id AS related_line_id,
       t.amt_fen AS amount_fen,
       'kb_item_panel:' || t.panel_prefix || '>' || t.component_prefix AS kb_ref,
       t.hilist_name, k.name AS panel_name,
       CASE WHEN t.note IS NULL OR t.note = '' THEN '' ELSE '（' || t.note || '）' END AS note_zh,
       t.fee_dn
FROM pairs t
JOIN kb_item k ON k.code_prefix = t.panel_prefix
CROSS JOIN params pr
WHERE t.pick = 1
