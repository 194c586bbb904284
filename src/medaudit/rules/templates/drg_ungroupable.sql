-- 病案数据质量（DRG）: an inpatient stay the grouper could not place in a group (无法入组) or only in
-- an ambiguous group (歧义): the reason names the code or field at fault (main diagnosis in no MDC
-- list, sex conflict, code not in the 医保版 lists, missing sex/age/weight/diagnosis).
SELECT p.instance_id, g.mdtrt_id, CAST(NULL AS VARCHAR) AS line_id, CAST(NULL AS VARCHAR) AS related_line_id,
       0 AS amount_fen, 'drg_status:' || g.reason_code AS kb_ref,
       g.status AS drg_status, g.reason AS drg_reason, COALESCE(g.main_dx, '无') AS main_dx
FROM drg_groups g
CROSS JOIN params p
WHERE g.status <> '分组成功'
