"""Relations every rule reads, defined once in SQL (DuckDB dialect) and transpiled like the rules.

Day values are integer day numbers since 2000-01-01 (``*_dn``) so that rule arithmetic is plain
integer arithmetic on every engine; ages are completed years computed from yyyymmdd integers.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from medaudit.engine.backends.base import Backend

EPOCH = "2000-01-01"


def _dn(expr: str) -> str:
    return f"DATE_DIFF('day', DATE '{EPOCH}', CAST({expr} AS DATE))"


def _ymd(expr: str) -> str:
    """yyyymmdd as an integer (YEAR/MONTH/DAY are integer extractions: ~7x cheaper than STRFTIME)."""
    return f"(YEAR({expr}) * 10000 + MONTH({expr}) * 100 + DAYOFMONTH({expr}))"


def _age(birth_ymd: str, at: str) -> str:
    """Completed years between a yyyymmdd integer and a date/time."""
    return f"(({_ymd(at)} - {birth_ymd}) // 10000)"


def _match(kb_table: str, source: str) -> str:
    """Longest-prefix match of each distinct code to a knowledge table (DOMAIN.md: match by prefix)."""
    return f"""
SELECT hilist_code, code_prefix FROM (
  SELECT c.hilist_code, k.code_prefix,
         ROW_NUMBER() OVER (PARTITION BY c.hilist_code ORDER BY LENGTH(k.code_prefix) DESC) AS rn
  FROM (SELECT DISTINCT hilist_code FROM {source}) c
  JOIN {kb_table} k ON SUBSTRING(c.hilist_code, 1, LENGTH(k.code_prefix)) = k.code_prefix
) m WHERE rn = 1"""


ENC_CTX = f"""
SELECT e.mdtrt_id, e.psn_no, e.fixmedins_code, e.visit_type, e.med_type, e.adm_time, e.dscg_time,
       {_dn('e.adm_time')} AS adm_dn,
       {_dn('COALESCE(e.dscg_time, e.adm_time)')} AS dscg_dn,
       {_dn('COALESCE(e.dscg_time, e.adm_time)')} - {_dn('e.adm_time')} AS los_days,
       CASE WHEN e.dscg_time IS NULL AND e.visit_type = 'inpatient' THEN 2147483647
            ELSE {_dn('COALESCE(e.dscg_time, e.adm_time)')} END AS stay_end_dn,
       e.setl_time, {_dn('e.setl_time')} AS setl_dn,
       e.dept_code, e.chfpdr_code, e.dscg_maindiag_code, e.dise_no, e.insutype, e.psn_admdvs, e.medins_admdvs,
       e.remote_flag,
       e.medfee_sumamt_fen, e.fund_pay_fen, e.psn_pay_fen, e.dscg_way,
       p.gend, p.brdy, {_ymd('p.brdy')} AS birth_ymd, {_age(_ymd('p.brdy'), 'e.adm_time')} AS age,
       CASE WHEN p.die_date IS NULL THEN NULL ELSE {_dn('p.die_date')} END AS die_dn,
       COALESCE(i.medins_lv, 0) AS medins_lv, i.fixmedins_type,
       COALESCE(i.guidance_flag, FALSE) AS guidance_flag,
       COALESCE(i.regional_center_flag, FALSE) AS regional_center_flag,
       COALESCE(i.guidance_extended_flag, FALSE) AS guidance_extended_flag,
       i.designation_date,
       CASE WHEN i.designation_date IS NULL THEN NULL ELSE {_dn('i.designation_date')} END AS designation_dn
FROM encounters e
LEFT JOIN patients p ON p.psn_no = e.psn_no
LEFT JOIN institutions i ON i.fixmedins_code = e.fixmedins_code
"""

#: sums cast to BIGINT: DuckDB sums integers as HUGEINT (Arrow decimal128), Spark as bigint
REFUNDS = """
SELECT init_line_id, CAST(SUM(cnt_milli) AS BIGINT) AS r_cnt, CAST(SUM(amt_fen) AS BIGINT) AS r_amt
FROM fee_lines
WHERE COALESCE(refund_flag, FALSE) AND init_line_id IS NOT NULL
GROUP BY init_line_id
"""

#: Only the columns some rule reads: line_ctx is the one line-scale table every rule scans, so each
#: column costs every audit (encounter attributes stay in enc_ctx, one row per encounter).
LINE_CTX = f"""
SELECT f.line_id, f.mdtrt_id, e.psn_no, e.fixmedins_code, f.hilist_code, f.hilist_name,
       f.med_chrgitm_type,
       CASE WHEN f.med_chrgitm_type IN ('09', '10', '11') THEN TRUE ELSE FALSE END AS is_drug,
       f.cnt_milli + COALESCE(r.r_cnt, 0) AS cnt_milli,
       f.pric_fen,
       f.amt_fen + COALESCE(r.r_amt, 0) AS amt_fen,
       f.fee_ocur_time, {_dn('f.fee_ocur_time')} AS fee_dn,
       f.bilg_dr_code, f.bilg_dept_code, f.drug_trac_codg,
       COALESCE(f.trdn_flag, FALSE) AS trdn_flag, f.prd_days, f.daily_dose_milli, f.dose_unit,
       COALESCE(f.selfpay_flag, FALSE) AS selfpay_flag, f.drord_bhvr,
       e.visit_type, e.dept_code AS enc_dept_code, e.dise_no,
       e.gend, {_age('e.birth_ymd', 'f.fee_ocur_time')} AS age,
       e.medins_lv, e.fixmedins_type,
       md.code_prefix AS drug_prefix, mi.code_prefix AS item_prefix
FROM fee_lines f
JOIN enc_ctx e ON e.mdtrt_id = f.mdtrt_id
LEFT JOIN refunds r ON r.init_line_id = f.line_id
LEFT JOIN match_drug md ON md.hilist_code = f.hilist_code
LEFT JOIN match_item mi ON mi.hilist_code = f.hilist_code
WHERE NOT COALESCE(f.refund_flag, FALSE)
  AND f.cnt_milli + COALESCE(r.r_cnt, 0) > 0
"""

#: 医保支付资格 suspensions and terminations (驾照式记分, DOMAIN.md §5.4), one row per status period:
#: the contract the staff rules read (suspended_staff), whatever writes the periods. Today the only
#: source is the staff master data's current status ('master'); the staff-scoring workflow will add
#: its own periods here (``UNION ALL`` of its table, source 'scoring'), and the rules stay unchanged.
#: 中止 (the 2023 draft's word) is a suspension; a period without its first day cannot be placed in time
#: and is left out; ``end_dn`` is inclusive, NULL for an open-ended period (a termination).
STAFF_STATUS = f"""
SELECT s.staff_code,
       CASE WHEN s.pay_qual_stas = '终止' THEN '终止' ELSE '暂停' END AS qual_stas,
       {_dn('s.pay_qual_begndate')} AS begin_dn,
       CASE WHEN s.pay_qual_enddate IS NULL THEN NULL ELSE {_dn('s.pay_qual_enddate')} END AS end_dn,
       'master' AS source
FROM staff s
WHERE s.pay_qual_stas IN ('暂停', '中止', '终止')
  AND s.pay_qual_begndate IS NOT NULL
"""

#: (name, sql) in dependency order; each engine materialises them as tables.
PREPARED: list[tuple[str, str]] = [
    ("enc_ctx", ENC_CTX),
    ("refunds", REFUNDS),
    ("match_drug", _match("kb_drug", "fee_lines")),
    ("match_item", _match("kb_item", "fee_lines")),
    ("line_ctx", LINE_CTX),
    # a consumable is a line no drug or item matches, on its longest kb_consumable prefix
    ("match_consumable", _match("kb_consumable", "line_ctx WHERE item_prefix IS NULL AND drug_prefix IS NULL")),
    ("staff_status", STAFF_STATUS),
]

#: who is answerable for each finding (驾照式记分 scores 医保医师): the ordering doctor and department of
#: the offending line, or the attending doctor and department of the encounter for encounter-level
#: findings. Run once over all findings, not per rule.
FINDING_STAFF = """
SELECT k.mdtrt_id, k.line_id,
       COALESCE(l.bilg_dr_code, e.chfpdr_code) AS dr_code,
       COALESCE(l.bilg_dept_code, e.dept_code) AS dept_code
FROM finding_keys k
JOIN enc_ctx e ON e.mdtrt_id = k.mdtrt_id
LEFT JOIN line_ctx l ON l.line_id = k.line_id
"""


# ------------------------------------------------------------------------------ box trace codes

#: separators between the box codes of one line's 追溯码 field: a line that sells several boxes lists
#: one code per box (as the 3505 sale interface sends ``drugtracinfo[]``); exports join them with
#: ASCII or full-width commas / semicolons, 顿号 or whitespace
TRACE_SEPARATORS = r"[,;，；、\s]+"

TRACE_SOURCE = """
SELECT line_id, drug_trac_codg FROM fee_lines
WHERE drug_trac_codg IS NOT NULL AND drug_trac_codg <> ''
"""

#: one row per (line, box code); ``n_boxes`` is the number of codes the line carries
TRACE_BOXES_SCHEMA = pa.schema([
    pa.field("line_id", pa.string()),
    pa.field("box_no", pa.int64()),
    pa.field("trace_code", pa.string()),
    pa.field("n_boxes", pa.int64()),
])


def split_trace_codes(lines: pa.Table) -> pa.Table:
    """``(line_id, drug_trac_codg)`` rows → one row per box code (``trace_boxes``).

    Splitting a string into rows has no portable SQL form (SQLite has no split/unnest, and a
    numbers-table substring walk would cap the field length), so it is done here once, in Arrow,
    for every engine; the rules then join ``trace_boxes`` in plain SQL. Empty pieces (doubled or
    trailing separators) are dropped.
    """
    if lines.num_rows == 0:
        return TRACE_BOXES_SCHEMA.empty_table()
    text = pc.utf8_trim_whitespace(lines.column("drug_trac_codg").cast(pa.string()))
    parts = pc.split_pattern_regex(text, TRACE_SEPARATORS)
    flat = pc.list_flatten(parts)
    parent = pc.list_parent_indices(parts)
    keep = pc.not_equal(flat, "")
    flat, parent = flat.filter(keep), parent.filter(keep)
    idx = parent.to_numpy(zero_copy_only=False).astype(np.int64)
    if len(idx) == 0:
        return TRACE_BOXES_SCHEMA.empty_table()
    starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
    sizes = np.diff(np.r_[starts, len(idx)])
    box_no = np.arange(len(idx)) - np.repeat(starts, sizes) + 1
    line_id = lines.column("line_id").cast(pa.string()).take(pa.array(idx))
    return pa.table([line_id, pa.array(box_no), flat, pa.array(np.repeat(sizes, sizes))],
                    schema=TRACE_BOXES_SCHEMA)


@lru_cache(maxsize=8)
def _trace_source(dialect: str) -> str:
    from medaudit.engine.compile import compile_sql

    return compile_sql(TRACE_SOURCE, dialect, what="预处理 trace_boxes")


def derive_tables(backend: Backend, drg: bool = False) -> None:
    """Relations computed outside SQL, before the prepared SQL relations: ``trace_boxes``, and the
    DRG groups (``drg_groups``, ``drg_cc``; see medaudit.drg.relations) when ``drg`` (a rule reads them)."""
    lines = backend.query(_trace_source(backend.dialect))
    backend.refill("trace_boxes", split_trace_codes(lines))
    if drg:
        from medaudit.drg.relations import derive_relations

        for name, table in derive_relations(backend).items():
            backend.refill(name, table)
