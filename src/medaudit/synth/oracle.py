"""The checker run on canonical claim tables: how its findings are compared with the rule engine's.

The generator's checker (:mod:`medaudit.synth.checker`) is a second, plain-Python statement of the
rule semantics. It is only worth something if it is checked: this module reads canonical tables (a
golden case, or any small region) into the checker's view — longest-prefix knowledge matching, net
quantities after refunds, line order by (fee time, line id) as the SQL sorts — so its findings can
be compared with the golden cases' expected findings.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import pyarrow as pa

from .checker import DEFAULTS, Ctx, Line, Params, Visit, region_findings
from .checks.persons import DR_CODE, STAFF_STATUS, staff_periods
from .kb import KB


def _rows(tables: dict[str, pa.Table], name: str) -> list[dict[str, Any]]:
    t = tables.get(name)
    return [] if t is None else t.to_pylist()


def _seconds(ts: dt.datetime) -> int:
    return ts.date().toordinal() * 86400 + ts.hour * 3600 + ts.minute * 60 + ts.second


def visits_of(kb: KB, claims: dict[str, pa.Table]) -> tuple[list[Visit], dict[int, str]]:
    """The checker's view of ``claims``, and line id by seq (seq follows line id order, the SQL tie order)."""
    pats = {p["psn_no"]: p for p in _rows(claims, "patients")}
    insts = {i["fixmedins_code"]: i for i in _rows(claims, "institutions")}
    diags: dict[str, list[str]] = defaultdict(list)
    for d in _rows(claims, "diagnoses"):
        if d["diag_code"]:
            diags[d["mdtrt_id"]].append(d["diag_code"])
    fee = _rows(claims, "fee_lines")
    refunded: dict[str, int] = defaultdict(int)
    for f in fee:
        if f.get("refund_flag") and f.get("init_line_id"):
            refunded[f["init_line_id"]] += int(f["cnt_milli"])
    sales = sorted((f for f in fee if not f.get("refund_flag")), key=lambda f: str(f["line_id"]))
    line_id = {k: str(f["line_id"]) for k, f in enumerate(sales)}
    by_enc: dict[str, list[Line]] = defaultdict(list)
    for seq, f in enumerate(sales):
        cnt = int(f["cnt_milli"]) + refunded.get(f["line_id"], 0)
        if cnt <= 0:
            continue
        code = str(f["hilist_code"])
        t = _seconds(f["fee_ocur_time"])
        by_enc[f["mdtrt_id"]].append(Line(
            seq, code, str(f["med_chrgitm_type"]), t // 86400, t, cnt, int(f["pric_fen"]),
            kb.match_drug(code), kb.match_item(code), f.get("prd_days"), f.get("daily_dose_milli"),
            f.get("dose_unit"), f.get("drord_bhvr"), f.get("drug_trac_codg"), bool(f.get("trdn_flag")),
            bool(f.get("selfpay_flag")), f.get("bilg_dept_code")))
        by_enc[f["mdtrt_id"]][-1].attrs[DR_CODE] = f.get("bilg_dr_code")
    staff_status = staff_periods(_rows(claims, "staff"))
    visits = []
    # the raw rows of each encounter, for the checks that read fields the checker's view does not
    # carry (data quality: codes, empty fields, settlement totals)
    raw: dict[str, dict[str, list[dict[str, Any]]]] = {n: defaultdict(list) for n in ("diagnoses", "operations")}
    for n, rows in raw.items():
        for r in _rows(claims, n):
            rows[r["mdtrt_id"]].append(r)
    fee_by_enc: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in fee:
        fee_by_enc[f["mdtrt_id"]].append(f)
    for e in _rows(claims, "encounters"):
        p = pats.get(e["psn_no"], {})
        inst = insts.get(e["fixmedins_code"], {})
        brdy, die = p.get("brdy"), p.get("die_date")
        adm = e["adm_time"].date().toordinal()
        dscg = e["dscg_time"].date().toordinal() if e.get("dscg_time") is not None else None
        if dscg is None and e["visit_type"] != "inpatient":
            dscg = adm
        ctx = Ctx(str(e["visit_type"]), int(inst.get("medins_lv") or 0), str(p.get("gend") or ""),
                  brdy.toordinal() if brdy is not None else 1, diags[e["mdtrt_id"]], e.get("dept_code"),
                  e.get("dise_no"), attrs={"insutype": e.get("insutype"), "med_type": e.get("med_type")})
        # card_two_places: where and when (to the second) the encounter was settled
        ctx.attrs["medins_admdvs"] = e.get("medins_admdvs")
        ctx.attrs["setl_t"] = _seconds(e["setl_time"]) if e.get("setl_time") is not None else None
        ctx.attrs["rows"] = {"encounter": e, "patient": pats.get(e["psn_no"]), "institution": insts.get(e["fixmedins_code"]),
                             "diagnoses": raw["diagnoses"][e["mdtrt_id"]], "operations": raw["operations"][e["mdtrt_id"]],
                             "fee_lines": fee_by_enc[e["mdtrt_id"]]}
        ctx.attrs[STAFF_STATUS] = staff_status
        setl = e["setl_time"].date().toordinal() if e.get("setl_time") is not None else adm
        visits.append(Visit(str(e["mdtrt_id"]), str(e["psn_no"]), ctx, by_enc[e["mdtrt_id"]],
                            str(e["fixmedins_code"]), adm, dscg, setl,
                            die.toordinal() if die is not None else None,
                            _seconds(e["adm_time"]),
                            _seconds(e["dscg_time"]) if e.get("dscg_time") is not None else None))
    return visits, line_id


def checker_findings(knowledge: dict[str, pa.Table], claims: dict[str, pa.Table],
                     params: Params = DEFAULTS) -> set[tuple[str, str, str | None]]:
    """(violation_type, mdtrt_id, line_id) the checker finds in ``claims`` (line None: encounter-level)."""
    kb = KB(knowledge)
    visits, line_id = visits_of(kb, claims)
    return {(t, key, line_id.get(seq)) for t, key, seq in region_findings(kb, visits, params)}
