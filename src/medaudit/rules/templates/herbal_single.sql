-- 中药饮片单味不予支付 (A13): a 饮片 flagged 单方不予支付 is not paid when it is used alone, nor when
-- every 饮片 of the prescription is so flagged; one flagged 单复方均不予支付 is never paid. The export
-- carries no prescription number, so a prescription is the encounter's 饮片 of one fee day (self-paid
-- ones count as herbs of the prescription, only paid ones are findings). A later herb can make the
-- prescription compound, so the rule is 事后 only (not real-time monotone).
WITH h AS (
  SELECT l.mdtrt_id, l.line_id, l.fee_dn, l.hilist_code, l.hilist_name, l.amt_fen, l.selfpay_flag,
         l.drug_prefix, k.pay_rule
  FROM line_ctx l
  LEFT JOIN kb_drug d ON d.code_prefix = l.drug_prefix
  LEFT JOIN kb_herb_policy k ON k.code_prefix = l.drug_prefix
  WHERE l.med_chrgitm_type = '10' OR d.category = '中药饮片'
),
g AS (
  SELECT mdtrt_id, fee_dn, COUNT(DISTINCT hilist_code) AS herb_count,
         COUNT(DISTINCT CASE WHEN pay_rule IS NOT NULL THEN hilist_code END) AS flagged_count
  FROM h
  GROUP BY mdtrt_id, fee_dn
)
SELECT p.instance_id, h.mdtrt_id, h.line_id, CAST(NULL AS VARCHAR) AS related_line_id, h.amt_fen AS amount_fen,
       'kb_herb_policy:' || h.drug_prefix AS kb_ref, h.hilist_name, h.pay_rule,
       CASE WHEN h.pay_rule = '单复方均不予支付' THEN '为不得纳入基金支付范围的中药饮片（单复方均不予支付）'
            ELSE '单独使用或全部由此类饮片组成处方时统筹基金不予支付' END AS rule_zh,
       h.fee_dn, g.herb_count, g.flagged_count
FROM h
JOIN g ON g.mdtrt_id = h.mdtrt_id AND g.fee_dn = h.fee_dn
CROSS JOIN params p
WHERE h.pay_rule IS NOT NULL
  AND NOT h.selfpay_flag
  AND (h.pay_rule = '单复方均不予支付' OR g.flagged_count = g.herb_count)
