"""Row validation as one generated DuckDB query per batch (vectorised; no Python per row).

The query turns the batch's string columns into canonical typed columns and a ``__reason`` that is
NULL for a good row and otherwise lists every failure in Chinese and English, naming the column and
quoting the value. Everything here is generated from the column specs and the code dictionaries.

Money: strings are cast to DECIMAL(38,10) (exact; never float) and scaled to fen. Line amounts must
have at most two decimals; unit prices (national N16,6) are rounded half away from zero to fen, and
the "amount = quantity × price" check uses the exact, unrounded price in HUGEINT arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from medaudit.schema import TABLES, Column
from medaudit.schema.codes import (
    CHRGITM_TYPE_ZH,
    FIXMEDINS_TYPE_BY_PREFIX,
    FIXMEDINS_TYPE_CODE,
    FIXMEDINS_TYPE_WORDS,
    HOSP_LV_LEVEL,
    MED_TYPE_PREFIX_VISIT,
    MED_TYPE_VISIT,
    MEDINS_CLASS_TYPE,
    MEDINS_TYPE_PATTERN,
)
from medaudit.schema.money import (
    FEN_PER_YUAN,
    MILLI_PER_UNIT,
    MONEY_LIMIT,
    PRICE_COLUMNS,
    QTY_LIMIT,
    precision_reason,
)
from medaudit.schema.values import YEAR_RANGE, lit, sql_datetime, sql_flag, sql_number, sql_two_digit_code
from medaudit.settings import title_roles

from .mapping import DERIVED_REQUIRED, map_headers

#: columns whose national code is two digits and loses its leading zero in Excel
TWO_DIGIT_CODES = {"med_chrgitm_type", "hosp_lv"}
#: required columns ingest derives when the source has no such column (docs/ingest.md)
DERIVED = DERIVED_REQUIRED
REF_COLUMNS = {("diagnoses", "diag_code"): "ref_diag", ("operations", "oprn_code"): "ref_oprn"}


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _case_map(expr: str, mapping: dict[str, object]) -> str:
    whens = " ".join(f"WHEN {lit(k)} THEN {lit(str(v)) if isinstance(v, str) else v}" for k, v in mapping.items())
    return f"(CASE {expr} {whens} END)"


def _med_type_visit(expr: str) -> str:
    """SQL form of :func:`medaudit.schema.codes.visit_of_med_type` (exact code, then its family prefix)."""
    prefixes = " ".join(f"WHEN starts_with({expr}, {lit(k)}) THEN {lit(v)}" for k, v in MED_TYPE_PREFIX_VISIT)
    return f"coalesce({_case_map(expr, dict(MED_TYPE_VISIT))}, (CASE {prefixes} END))"


@dataclass
class Plan:
    """The generated SQL for one table and one set of source headers."""

    table: str
    sql: str
    mapping: dict[str, list[tuple[str, bool]]]
    missing_required: list[str] = field(default_factory=list)


def _label(col: Column) -> str:
    return f"{col.zh.split('(')[0]}({col.name})"


def _shown(raw: str) -> str:
    return f"left({raw}, 60)"


def _title_role(raw: str) -> str:
    """Role from the title code by longest configured prefix (settings.title_roles)."""
    roles = sorted(title_roles().items(), key=lambda kv: -len(kv[0]))
    whens = " ".join(f"WHEN starts_with({raw}, {lit(k)}) THEN {lit(v)}" for k, v in roles)
    return f"(CASE {whens} END)"


def build_plan(table: str, headers: Sequence[str], *, src_expr: str = "0", extra_checks: Sequence[str] = (),
               source_sql: str = "SELECT * FROM chunk") -> Plan:
    """Generate the validation query for ``table`` over a relation with ``headers`` (+ ``__line``).

    Three layers: ``r`` picks and trims the raw strings per canonical column, ``p`` parses them
    (decimals, timestamps, booleans, reference-code joins), and the final select turns parsed values
    into canonical values plus one reason string. ``extra_checks`` are SQL expressions over the
    source relation yielding a reason or NULL.
    """
    t = TABLES[table]
    mapping = map_headers(table, [h for h in headers if not h.startswith("__")])
    scaled: dict[str, bool] = {}
    raw_cols: list[str] = []
    for col in t.columns:
        sources = mapping.get(col.name, [])
        if not sources:
            raw_cols.append(f"CAST(NULL AS VARCHAR) AS {q('r.' + col.name)}")
            continue
        if col.kind in ("fen", "milli"):
            scaled[col.name] = sources[0][1]
            sources = [s for s in sources if s[1] == scaled[col.name]]
        # values arrive trimmed of Unicode whitespace (pipeline.trim_strings); only '' → NULL here
        parts = [f"nullif(CAST(src.{q(h)} AS VARCHAR), '')" for h, _ in sources]
        expr = parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"
        raw_cols.append(f"{expr} AS {q('r.' + col.name)}")
    orig_cols = [h for h in headers if not h.startswith("__")]
    orig = ("to_json(struct_pack(" + ", ".join(f"{q(h)} := src.{q(h)}" for h in orig_cols) + "))"
            if orig_cols else "'{}'")
    checks_sql = "".join(f", ({c}) AS {q(f'x.{i}')}" for i, c in enumerate(extra_checks))
    cte_r = (f"r AS (SELECT src.__line AS __line, ({src_expr}) AS __src, {orig} AS __orig, "
             f"{', '.join(raw_cols)}{checks_sql} FROM ({source_sql}) AS src)")

    def R(name: str) -> str:
        return q("r." + name)

    def D(name: str) -> str:
        return q("d." + name)

    staged: list[str] = []
    joins: list[str] = []
    for col in t.columns:
        raw = R(col.name)
        if col.kind in ("fen", "milli", "int"):
            staged.append(f"{sql_number(raw)} AS {D(col.name)}")
        elif col.kind in ("date", "timestamp"):
            staged.append(f"{sql_datetime(raw)} AS {D(col.name)}")
        elif col.kind == "bool":
            staged.append(f"{sql_flag(raw)} AS {D(col.name)}")
        elif (table, col.name) in REF_COLUMNS:
            ref = REF_COLUMNS[(table, col.name)]
            joins.append(f"LEFT JOIN {ref} AS j_{col.name} ON upper({raw}) = j_{col.name}.u")
            staged.append(f"j_{col.name}.code AS {D(col.name)}")
    cte_p = f"p AS (SELECT r.*{''.join(', ' + s for s in staged)} FROM r {' '.join(joins)})"

    def V(name: str) -> str:
        return q("v." + name)

    pv: dict[str, str] = {}
    errs: list[str] = []
    for col in t.columns:
        raw, d, label = R(col.name), D(col.name), _label(col)
        bad = f"{lit(label + '=' + chr(39))} || left({raw}, 60) || {lit(chr(39) + ' ')}"
        if col.kind == "str":
            val = sql_two_digit_code(raw) if col.name in TWO_DIGIT_CODES else raw
            if col.name == "visit_type":
                derived = _med_type_visit(R("med_type"))
                val = f"coalesce({raw}, {derived})"
                errs.append(f"CASE WHEN {raw} IS NULL AND {R('med_type')} IS NOT NULL AND {derived} IS NULL THEN "
                            f"{lit('医疗类别(med_type)=' + chr(39))} || left({R('med_type')}, 60) || "
                            f"{lit(chr(39) + ' 未知，无法确定就诊类型 / unknown med_type, cannot derive visit_type')} END")
            if table == "institutions" and col.name == "fixmedins_type":
                # an export's Chinese type word or national medins_type code (WS 218 class such as A1/D2, or
                # 1/2 — the same tables the API reads), else (no type given) the code's first letter H/P
                prefix = _case_map(f"upper(left({R('fixmedins_code')}, 1))", dict(FIXMEDINS_TYPE_BY_PREFIX))
                ws218 = (f"CASE WHEN regexp_full_match(upper({raw}), {lit(MEDINS_TYPE_PATTERN)}) THEN "
                         f"{_case_map(f'upper(left({raw}, 1))', dict(MEDINS_CLASS_TYPE))} END")
                val = (f"coalesce({_case_map(raw, dict(FIXMEDINS_TYPE_WORDS))}, "
                       f"{_case_map(raw, dict(FIXMEDINS_TYPE_CODE))}, {ws218}, {raw}, {prefix})")
                why = chr(39) + "不以H(医疗机构)/P(零售药店)开头，无法推导 / no fixmedins_type and the code does not start with H/P"
                errs.append(f"CASE WHEN {raw} IS NULL AND {R('fixmedins_code')} IS NOT NULL AND {prefix} IS NULL THEN "
                            f"{lit('无机构类型，且机构编码' + chr(39))} || left({R('fixmedins_code')}, 60) || {lit(why)} END")
            if table == "staff" and col.name == "role":
                derived = _title_role(R("profttl"))
                val = f"coalesce({raw}, {derived})"
                errs.append(f"CASE WHEN {raw} IS NULL AND {R('profttl')} IS NOT NULL AND {derived} IS NULL THEN "
                            f"{lit('职称(profttl)=' + chr(39))} || left({R('profttl')}, 60) || "
                            f"{lit(chr(39) + ' 不在职称→人员类别对照中，无法推导人员类别 / unknown title code, cannot derive role')} END")
            if col.pattern:
                errs.append(f"CASE WHEN {val} IS NOT NULL AND NOT regexp_full_match({val}, {lit(col.pattern)}) THEN "
                            f"{bad} || {lit('格式不符 / does not match ' + col.pattern)} END")
            if col.name == "med_chrgitm_type":
                errs.append(f"CASE WHEN {val} IS NOT NULL AND {val} NOT IN ({', '.join(map(lit, CHRGITM_TYPE_ZH))}) "
                            f"THEN {bad} || '不是有效的收费项目类别(01-14) / not a national charge category' END")
            if col.name == "hosp_lv":
                errs.append(f"CASE WHEN {val} IS NOT NULL AND {val} NOT IN ({', '.join(map(lit, HOSP_LV_LEVEL))}) "
                            f"THEN {bad} || '不是有效的医院等级代码(01-14) / not a national hosp_lv code' END")
            if (table, col.name) in REF_COLUMNS:
                # the reference spelling where the code is listed; a local or mistyped code is kept as sent
                # (dq_diag_code / dq_oprn_code report it on the claim): quarantining the row would drop a
                # diagnosis from a claim that is still audited and turn 限适应症 rules into false positives
                val = f"coalesce({d}, {raw})"
            pv[col.name] = val
        elif col.kind in ("fen", "milli", "int"):
            is_scaled = col.kind == "int" or scaled.get(col.name, True)
            if is_scaled:
                limit, mult, rounding = (2**31 if col.kind == "int" else 10**16), 1, False
            elif col.kind == "fen":
                limit, mult, rounding = MONEY_LIMIT, FEN_PER_YUAN, col.name in PRICE_COLUMNS
            else:
                limit, mult, rounding = QTY_LIMIT, MILLI_PER_UNIT, True
            sd = f"({d} * {mult})" if mult != 1 else d
            if rounding:
                v = f"(CASE WHEN abs({d}) < {limit} THEN round({sd})::BIGINT END)"
            else:
                v = f"(CASE WHEN abs({d}) < {limit} AND {sd} = round({sd}) THEN ({sd})::BIGINT END)"
            what = "数值" if col.kind == "int" else ("金额" if col.kind == "fen" else "数量")
            frac = "不是整数 / not an integer" if mult == 1 else precision_reason(2)
            errs.append(f"CASE WHEN {raw} IS NOT NULL AND {d} IS NULL THEN {bad} || "
                        f"{lit('不是有效' + what + '或超出范围 / not a valid number or out of range')} "
                        f"WHEN {raw} IS NOT NULL AND abs({d}) >= {limit} THEN {bad} || '超出范围 / out of range' "
                        f"WHEN {raw} IS NOT NULL AND {V(col.name)} IS NULL THEN {bad} || {lit(frac)} END")
            if col.name == "medins_lv":
                hv = _case_map(sql_two_digit_code(R("hosp_lv")), dict(HOSP_LV_LEVEL))
                # no level and no hospital grade (pharmacies export an empty hosp_lv): 0, not applicable
                v = f"coalesce({v}, CASE WHEN {raw} IS NULL THEN coalesce({hv}, CASE WHEN {R('hosp_lv')} IS NULL THEN 0 END) END)"
                errs.append(f"CASE WHEN {V(col.name)} NOT BETWEEN 0 AND 3 THEN {bad} || '机构级别应为0-3 / level must be 0-3' END")
            pv[col.name] = f"CAST({v} AS INTEGER)" if col.kind == "int" else v
        elif col.kind in ("date", "timestamp"):
            v = f"(CASE WHEN year({d}) BETWEEN {YEAR_RANGE[0]} AND {YEAR_RANGE[1]} THEN {d} END)"
            errs.append(f"CASE WHEN {raw} IS NOT NULL AND {d} IS NULL THEN {bad} || '不是有效日期 / not a valid date' "
                        f"WHEN {raw} IS NOT NULL AND {V(col.name)} IS NULL THEN {bad} || {lit(f'日期超出{YEAR_RANGE[0]}-{YEAR_RANGE[1]} / date out of range')} END")
            pv[col.name] = f"CAST({v} AS DATE)" if col.kind == "date" else v
        else:  # bool
            errs.append(f"CASE WHEN {raw} IS NOT NULL AND {d} IS NULL THEN "
                        f"{bad} || '不是有效的是/否值 / not a valid yes/no value' END")
            pv[col.name] = d

    if table == "fee_lines":
        pv["refund_flag"] = f"coalesce({pv['refund_flag']}, ({pv['cnt_milli']} < 0 AND {pv['amt_fen']} < 0))"
        cnt_u = (f"({D('cnt_milli')} * 10)" if scaled.get("cnt_milli", True)
                 else f"round({D('cnt_milli')} * 10000)")
        pric_u = (f"({D('pric_fen')} * 10000)" if scaled.get("pric_fen", True)
                  else f"round({D('pric_fen')} * 1000000)")
        cnt_ok, pric_ok, amt_ok = V("cnt_milli"), V("pric_fen"), V("amt_fen")
        errs.append(f"CASE WHEN {cnt_ok} IS NOT NULL AND {pric_ok} IS NOT NULL AND {amt_ok} IS NOT NULL "
                    f"AND abs({cnt_u}::HUGEINT * {pric_u}::HUGEINT - {amt_ok}::HUGEINT * 100000000) > 100000000 THEN "
                    f"'金额不等于数量×单价 / amount != quantity x price (数量=' || {R('cnt_milli')} || ', 单价=' || "
                    f"{R('pric_fen')} || ', 金额=' || {R('amt_fen')} || ')' END")
        errs.append(f"CASE WHEN {pric_ok} < 0 THEN '单价为负 / negative unit price: ' || {R('pric_fen')} END")
        ft = V("fee_ocur_time")
        errs.append(f"CASE WHEN {ft} < TIMESTAMP '1990-01-01' OR {ft} > now()::TIMESTAMP + INTERVAL 1 DAY THEN "
                    f"'费用发生时间(fee_ocur_time)=' || {R('fee_ocur_time')} || ' 不在合理范围(1990年至今) / "
                    f"charge time implausible' END")
    if table == "encounters":
        errs.append(f"CASE WHEN {V('dscg_time')} < {V('adm_time')} THEN '出院时间早于入院时间 / discharge before "
                    f"admission (' || {R('adm_time')} || ' > ' || {R('dscg_time')} || ')' END")
    if table == "patients":
        errs.append(f"CASE WHEN {V('brdy')} > current_date THEN '出生日期在未来 / birth date in the future: ' "
                    f"|| {R('brdy')} END")
        errs.append(f"CASE WHEN {V('die_date')} < {V('brdy')} THEN '死亡日期早于出生日期 / death before birth' END")

    missing: list[str] = []
    for col in t.columns:
        if col.required:
            if col.name not in mapping and col.name not in DERIVED:
                missing.append(col.name)
            # a level derived from an invalid hosp_lv is reported as that, not also as missing
            also = f" AND {R('hosp_lv')} IS NULL" if (table, col.name) == ("institutions", "medins_lv") else ""
            errs.append(f"CASE WHEN {V(col.name)} IS NULL AND {R(col.name)} IS NULL{also} THEN "
                        f"{lit('缺少必填字段 ' + _label(col) + ' / missing required field ' + col.name)} END")
    errs.extend(q(f"x.{i}") for i in range(len(extra_checks)))
    cte_v = f"v AS (SELECT p.*, {', '.join(f'{pv[c.name]} AS {V(c.name)}' for c in t.columns)} FROM p)"
    final_vals = ", ".join(f"{V(c.name)} AS {q(c.name)}" for c in t.columns)
    reason = f"nullif(concat_ws('; ', {', '.join(errs)}), '')"
    sql = f"WITH {cte_r}, {cte_p}, {cte_v} SELECT __line, __src, __orig, {final_vals}, {reason} AS __reason FROM v"
    return Plan(table, sql, mapping, missing)
