-- 主数据缺失: an encounter whose patient or institution row is missing (never given, or quarantined at
-- ingest) is still audited by every rule, with NULL master attributes; this rule names the gap so
-- that a rule silenced by it (age, gender, level, guidance period) is not read as "no violation".
-- A master table that is empty as a whole is not reported per encounter (nothing to compare with).
SELECT p.instance_id, e.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       0 AS amount_fen, 'master_data' AS kb_ref,
       CASE WHEN pt.psn_no IS NULL AND np.n > 0 THEN '参保人' || e.psn_no ELSE '' END
       || CASE WHEN pt.psn_no IS NULL AND np.n > 0 AND it.fixmedins_code IS NULL AND ni.n > 0 THEN '、' ELSE '' END
       || CASE WHEN it.fixmedins_code IS NULL AND ni.n > 0 THEN '定点医药机构' || e.fixmedins_code ELSE '' END
       AS missing_master
FROM encounters e
LEFT JOIN (SELECT DISTINCT psn_no FROM patients) pt ON pt.psn_no = e.psn_no
LEFT JOIN (SELECT DISTINCT fixmedins_code FROM institutions) it ON it.fixmedins_code = e.fixmedins_code
CROSS JOIN (SELECT COUNT(*) AS n FROM patients) np
CROSS JOIN (SELECT COUNT(*) AS n FROM institutions) ni
CROSS JOIN params p
WHERE (pt.psn_no IS NULL AND np.n > 0)
   OR (it.fixmedins_code IS NULL AND ni.n > 0)
