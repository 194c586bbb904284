"""3101/3102 DTOs (national field names, DOMAIN.md §3.2) → canonical rows, leniently.

Field names come from the one national mapping (medaudit.schema.national: the column specs'
``interface`` names); values are read with the grammar ingest uses (schema.values, schema.money).

Real HIS integrations send variations (DOMAIN.md §3.3): a single object where a list is expected,
numbers as strings, ``""`` or ``"-"`` for unknown, dates with or without time, gend "9", rule_ids
without trig_scen. These are accepted; wherever a value was unusable the response carries a warning
naming the field. Structure that cannot be understood (a list where an object is needed, a missing
patient or order id) is a 400 naming the exact path.

Rows come out in SQLite form (ISO text dates, 0/1 flags, integer fen and milli) so they can be inserted
into the real-time engine and stored in the history store as they are. Names and identity numbers are
not carried into the rows: no rule reads them, and what is not kept cannot leak.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from medaudit.schema import TABLES
from medaudit.schema.codes import (
    HOSP_LV_LEVEL,
    HOSP_LV_NAME_ZH,
    LEVEL_ZH,
    OUT_SETL_CLASS_ZH,
    institution_type,
    national_hosp_lv,
    out_setl_dictionary,
    physician_title,
    visit_of_med_type,
)
from medaudit.schema.money import units_to_milli, yuan_to_fen
from medaudit.schema.national import interface_names
from medaudit.schema.values import format_date, parse_datetime, parse_flag, parse_int, two_digit_code

from .errors import bad

T = TypeVar("T")

UNKNOWN = ("", "-", "--", "null", "NULL", "None")
MAX_PATIENTS = 20
MAX_ENCOUNTERS = 200
MAX_ORDERS = 5000
MAX_BOXES = 2000  # box codes on one order (drugtracinfo[])
MAX_TEXT = 500

#: trig_scen → (stage, scenes the request is in)
OUTPATIENT_SCENES = ("1", "2", "6", "7")
INPATIENT_SCENES = ("3", "4", "5", "8", "9")
TRIG_SCEN_ZH = {"1": "门诊挂号", "2": "门诊收费登记", "3": "住院登记", "4": "住院收费登记", "5": "住院执行医嘱",
                "6": "门诊结算", "7": "门诊预结算", "8": "住院结算", "9": "住院预结算"}
MED_MDTRT_VISIT = {"1": "outpatient", "2": "inpatient", "3": "pharmacy"}



@dataclass
class Warning_:
    path: str
    zh: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": f"{self.zh} / {self.en}"}


@dataclass
class Mapped:
    """One request in canonical form, with what is current and what is history."""

    rows: dict[str, list[dict[str, Any]]]
    patients: list[str]
    current_mdtrt: set[str]
    current_lines: set[str]
    institutions: set[str]
    curr_encounters: list[dict[str, Any]]
    trig_scen: str | None
    rule_ids: list[str] | None
    task_id: str
    remote: bool
    warnings: list[Warning_] = field(default_factory=list)


class _Reader:
    """Lenient typed reads of JSON values, collecting warnings."""

    def __init__(self) -> None:
        self.warnings: list[Warning_] = []

    def warn(self, path: str, zh: str, en: str) -> None:
        if len(self.warnings) < 200:
            self.warnings.append(Warning_(path, zh, en))

    def obj(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise bad(path, f"应为对象，实际为{_kind_zh(value)}", f"must be an object, got {_kind_en(value)}")
        return value

    def objects(self, value: Any, path: str, limit: int) -> list[dict[str, Any]]:
        """A list of objects; a single object is accepted as a one-element list (with a warning)."""
        if value is None or (isinstance(value, str) and value.strip() in UNKNOWN):
            return []
        if isinstance(value, dict):
            self.warn(path, "应为列表，收到单个对象，已按一个元素处理", "a single object was sent instead of a list")
            value = [value]
        if not isinstance(value, list):
            raise bad(path, f"应为列表，实际为{_kind_zh(value)}", f"must be a list, got {_kind_en(value)}")
        if len(value) > limit:
            raise bad(path, f"元素过多（{len(value)}，上限{limit}）", f"too many elements ({len(value)}, limit {limit})")
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise bad(f"{path}[{i}]", f"应为对象，实际为{_kind_zh(item)}", f"must be an object, got {_kind_en(item)}")
        return value

    def text(self, value: Any, path: str, required: bool = False, echo: bool = True) -> str | None:
        if isinstance(value, (bool, dict, list)):
            raise bad(path, f"应为字符串，实际为{_kind_zh(value)}", f"must be a string, got {_kind_en(value)}")
        if value is None:
            out = None
        elif isinstance(value, (int, float)):
            out = str(value)
        elif isinstance(value, str):
            out = value.strip()
            if out in UNKNOWN:
                out = None
        else:  # pragma: no cover - json gives no other types
            out = str(value)
        if out is not None and len(out) > MAX_TEXT:
            raise bad(path, f"过长（{len(out)}字符，上限{MAX_TEXT}）", f"too long ({len(out)} chars, limit {MAX_TEXT})")
        if out is None and required:
            raise bad(path, "必填字段缺失或为空", "required field is missing or empty")
        return out

    def _parsed(self, value: Any, path: str, parse: Callable[[Any], T]) -> T | None:
        """``parse`` (the grammar ingest uses too, medaudit.schema.values / money) on a JSON value;
        unknown markers are None, an unusable value is None with the parser's reason as a warning."""
        if isinstance(value, (bool, dict, list)):
            raise bad(path, f"应为数值，实际为{_kind_zh(value)}", f"must be a number, got {_kind_en(value)}")
        if value is None or (isinstance(value, str) and value.strip() in UNKNOWN):
            return None
        try:
            return parse(value)
        except ValueError as exc:
            zh, _, en = str(exc).partition(" / ")
            self.warn(path, f"{zh}，按未知处理", f"{en or zh}; treated as unknown")
            return None

    def integer(self, value: Any, path: str, lo: int, hi: int) -> int | None:
        return self._parsed(value, path, lambda v: parse_int(v, lo=lo, hi=hi))

    def fen(self, value: Any, path: str, price: bool = False) -> int | None:
        """Yuan → fen by the shared money policy (schema.money): amounts exact, prices rounded half up."""
        return self._parsed(value, path, lambda v: yuan_to_fen(v, price=price))

    def milli(self, value: Any, path: str) -> int | None:
        return self._parsed(value, path, units_to_milli)

    def when(self, value: Any, path: str, with_time: bool) -> str | None:
        """A date or date-time in any national format → ISO text (None with a warning when unusable)."""
        text = self.text(value, path)
        if text is None:
            return None
        parsed = self._parsed(text, path, parse_datetime)
        if parsed is None:
            return None
        return format_date(parsed if with_time else parsed.date())

    def flag(self, value: Any, path: str) -> bool | None:
        text = self.text(value, path)
        if text is None:
            return None
        return self._parsed(text, path, parse_flag)


def _kind_zh(v: Any) -> str:
    return {dict: "对象", list: "列表", str: "字符串", bool: "布尔值", int: "数值", float: "数值"}.get(type(v), "空值")


def _kind_en(v: Any) -> str:
    return {dict: "object", list: "list", str: "string", bool: "boolean", int: "number", float: "number"}.get(
        type(v), "null")


def _level(r: _Reader, code: str | None, path: str) -> tuple[int, str | None]:
    """(level 0–3 the level rules see, national hosp_lv code) for ``medins_lv`` (DOMAIN.md §2.5)."""
    if code is None:
        r.warn(path, "医院等级缺失，按无等级处理（限医院等级、按等级限价的规则按无等级判断）",
               "medins_lv missing; treated as unrated for the hospital-level rules")
        return 0, None
    hosp_lv = national_hosp_lv(code)
    if hosp_lv is None:
        r.warn(path, f"医院等级代码无法识别：{code[:10]!r}（应为国家医院等级代码01–14），按无等级处理",
               f"unknown medins_lv {code[:10]!r} (national hospital grade codes are 01-14); treated as unrated")
        return 0, None
    level = HOSP_LV_LEVEL[hosp_lv]
    if hosp_lv != code:
        r.warn(path, f"医院等级代码{code!r}按国家代码{hosp_lv!r}（{HOSP_LV_NAME_ZH[hosp_lv]}，{LEVEL_ZH[level]}）读取",
               f"medins_lv {code!r} read as the national code {hosp_lv!r}")
    return level, hosp_lv


def _institution_type(r: _Reader, code: str | None, medins_id: str, path: str) -> str:
    """Canonical fixmedins_type: a ``P`` institution code is a pharmacy; else the ``medins_type`` code."""
    if medins_id.startswith("P"):
        return "pharmacy"
    if code is None:
        return "hospital"
    kind = institution_type(code)
    if kind is None:
        r.warn(path, f"医疗机构类型代码无法识别：{code[:10]!r}（应为卫生机构分类代码如A1，或1定点医疗机构/2定点零售药店），"
                     "按医疗机构处理", f"unknown medins_type {code[:10]!r}; treated as a hospital")
        return "hospital"
    return kind


def _remote(r: _Reader, flag: str | None, path: str, poolarea: str | None, medins_admdvs: str | None,
            codes: dict[str, dict[str, str]]) -> tuple[bool, bool | None]:
    """(异地就医?, what the region's out_setl_flag dictionary said: None when absent or not in it).

    The second value is the canonical ``remote_flag`` ingest reads from an export's own 异地 flag, so
    the 异地 rules judge an API request and an uploaded claim the same way.

    The flag is read with the dictionary configured for the institution's region (DOMAIN.md §7); a code
    outside it, or a flag that contradicts the two pooling regions, is a warning, and either sign of
    异地 selects the 异地就医 rules — a misread flag must not switch them off.
    """
    regions_differ = bool(poolarea and medins_admdvs and poolarea != medins_admdvs)
    if flag is None:
        return regions_differ, None
    key, dictionary = out_setl_dictionary(codes, medins_admdvs or poolarea)
    cls = dictionary.get(flag)
    if cls is None:
        basis = "异地" if regions_differ else "本地"
        r.warn(path, f"异地结算标志{flag[:10]!r}不在本地区（{key}）配置的代码集{sorted(dictionary)}中，"
                     f"按参保地与就医地统筹区判断为{basis}", f"out_setl_flag {flag[:10]!r} is not in the code set configured "
                     f"for region {key!r} {sorted(dictionary)}; judged {'remote' if regions_differ else 'local'} "
                     "from the pooling regions")
        return regions_differ, None
    flagged = cls != "local"
    if flagged and poolarea is None:
        r.warn(path, f"异地结算标志为{OUT_SETL_CLASS_ZH[cls]}，参保地统筹区（poolarea）缺失：按异地就医审核",
               f"out_setl_flag says {cls} and poolarea is missing; audited as remote")
    elif flagged and not regions_differ:
        r.warn(path, f"异地结算标志为{OUT_SETL_CLASS_ZH[cls]}，但参保地统筹区与就医地统筹区相同：按异地就医审核",
               f"out_setl_flag says {cls} but the pooling regions are equal; audited as remote")
    elif not flagged and regions_differ:
        r.warn(path, "异地结算标志为本地，但参保地统筹区与就医地统筹区不同：按异地就医审核",
               "out_setl_flag says local but the pooling regions differ; audited as remote")
    return flagged or regions_differ, flagged


def _staff(r: _Reader, o: dict[str, Any], op: str, medins_id: str, staff: dict[str, dict[str, Any]]) -> None:
    """The ordering doctor as a staff row, with the title code read as GB/T 8561 (name never kept)."""
    code = r.text(*_at(o, op, _STAFF["staff_code"]))
    raw = r.text(*_at(o, op, _STAFF["profttl"]))
    title: str | None = None
    if raw is not None:
        title, understood = physician_title(raw)
        if not understood:
            r.warn(f"{op}.{_STAFF['profttl'][0]}", f"医师职称代码无法识别：{raw[:10]!r}（应为专业技术职务代码231–235等，"
                                               "或职务级别1–5），按未知处理",
                   f"unknown drord_dr_profttl {raw[:10]!r} (GB/T 8561 title 231-235 or level 1-5); treated as unknown")
    if code is None:
        return
    known = staff.get(code)
    if known is not None:
        if known["profttl"] is None:
            known["profttl"] = title
        elif title is not None and title != known["profttl"]:
            r.warn(f"{op}.{_STAFF['profttl'][0]}", f"同一医师{code[:20]}的职称代码前后不一致，以先出现的为准",
                   "the same doctor is sent with different titles; the first is kept")
        return
    staff[code] = {"staff_code": code, "staff_name": None, "role": "医师", "fixmedins_code": medins_id,
                   "dept_code": r.text(*_at(o, op, _STAFF["dept_code"])),
                   "dept_name": r.text(*_at(o, op, _STAFF["dept_name"])), "profttl": title}


def _chrg_type(code: str | None, hilist_code: str, hilist_type: str | None) -> str | None:
    if code:
        return two_digit_code(code)
    if hilist_type == "102":
        return "10"
    if hilist_type == "301":
        return "08"
    head = hilist_code[:1]
    return {"X": "09", "Z": "11", "T": "10", "C": "08"}.get(head)


def _visit_type(med_type: str | None, med_mdtrt_type: str | None, fixmedins_type: str,
                scen: str | None) -> str | None:
    visit = visit_of_med_type(med_type)
    if visit is not None:
        return visit
    if med_mdtrt_type in MED_MDTRT_VISIT:
        return MED_MDTRT_VISIT[med_mdtrt_type]
    if fixmedins_type == "pharmacy":
        return "pharmacy"
    if scen in INPATIENT_SCENES:
        return "inpatient"
    if scen in OUTPATIENT_SCENES:
        return "outpatient"
    return None


_SCEN = re.compile(r"^[1-9]$")


def _names(table: str) -> dict[str, tuple[str, ...]]:
    return {c.name: interface_names(c) for c in TABLES[table].columns if interface_names(c)}


#: canonical column → the 3101/3102 fields that carry it, from the one mapping (schema.national)
_PAT, _ENC, _INST, _LINE, _STAFF, _DIAG, _OPRN = (
    _names(t) for t in ("patients", "encounters", "institutions", "fee_lines", "staff", "diagnoses", "operations"))


def _at(o: dict[str, Any], base: str, names: tuple[str, ...]) -> tuple[Any, str]:
    """(value, path) of the first of ``names`` the object carries (else of the first name)."""
    name = next((n for n in names if n in o), names[0])
    return o.get(name), f"{base}.{name}"


def map_request(data: dict[str, Any], default_task_id: str | None = None,
                out_setl_codes: dict[str, dict[str, str]] | None = None) -> Mapped:
    """The ``data`` object of a 3101/3102 request → canonical rows (see module doc).

    ``out_setl_codes`` is the regional 异地结算标志 dictionary (settings ``out_setl_flag_codes`` by default).
    """
    if out_setl_codes is None:
        from medaudit.settings import get_settings

        out_setl_codes = get_settings().out_setl_flag_codes
    r = _Reader()
    base = "data"
    trig = r.text(data.get("trig_scen"), f"{base}.trig_scen")
    if trig is not None and not _SCEN.match(trig):
        r.warn(f"{base}.trig_scen", f"触发场景应为1–9：{trig[:10]!r}，按未指定处理",
               f"trig_scen must be 1–9: {trig[:10]!r}; treated as absent")
        trig = None
    rule_ids_raw = data.get("rule_ids")
    rule_ids: list[str] | None = None
    if rule_ids_raw is not None and rule_ids_raw != "":
        items = rule_ids_raw if isinstance(rule_ids_raw, list) else [rule_ids_raw]
        rule_ids = []
        for i, x in enumerate(items[:1000]):
            t = r.text(x, f"{base}.rule_ids[{i}]")
            if t:
                rule_ids.extend(s.strip() for s in t.split(",") if s.strip())
        rule_ids = rule_ids or None
    if trig is None and rule_ids:
        r.warn(f"{base}.trig_scen", "未给出触发场景：规则标识集合中本服务已知的规则不按场景筛选执行（无已知规则时按全部适用规则审核）",
               "trig_scen absent: the known rules in rule_ids run without scene filtering (all applicable rules "
               "when none is known)")
    elif trig is None:
        r.warn(f"{base}.trig_scen", "未给出触发场景与规则标识，按全部适用规则审核",
               "neither trig_scen nor rule_ids given: all applicable rules are run")
    if "syscode" not in data:
        r.warn(f"{base}.syscode", "缺少调用方系统简码", "syscode (caller system code) is missing")
    task_id = r.text(data.get("task_id"), f"{base}.task_id") or default_task_id or uuid.uuid4().hex

    rows: dict[str, list[dict[str, Any]]] = {t: [] for t in
                                             ("patients", "institutions", "encounters", "fee_lines",
                                              "diagnoses", "operations", "staff")}
    seen_inst: dict[str, dict[str, Any]] = {}
    staff: dict[str, dict[str, Any]] = {}
    seen_lines: set[str] = set()
    seen_enc: set[str] = set()
    current_mdtrt: set[str] = set()
    current_lines: set[str] = set()
    curr_encounters: list[dict[str, Any]] = []
    patients: list[str] = []
    remote = False
    n_orders = 0

    pdtos = r.objects(data.get("patient_dtos"), f"{base}.patient_dtos", MAX_PATIENTS)
    if not pdtos:
        raise bad(f"{base}.patient_dtos", "必填字段缺失或为空（至少一名参保人）", "required: at least one patient")
    for pi, p in enumerate(pdtos):
        pp = f"{base}.patient_dtos[{pi}]"
        psn_no = r.text(*_at(p, pp, _PAT["psn_no"]), required=True)
        assert psn_no is not None
        r.text(*_at(p, pp, _PAT["psn_name"]), echo=False)  # type-checked, never kept
        gend = r.text(*_at(p, pp, _PAT["gend"]))
        if gend not in ("1", "2", "0", "9"):
            if gend is not None:
                r.warn(f"{pp}.{_PAT['gend'][0]}", f"性别代码无法识别：{gend[:5]!r}，按未知(0)处理", f"unknown gend {gend[:5]!r}; treated as 0")
            else:
                r.warn(f"{pp}.{_PAT['gend'][0]}", "性别缺失，按未知(0)处理", "gend missing; treated as 0 (unknown)")
            gend = "0"
        brdy = r.when(*_at(p, pp, _PAT["brdy"]), with_time=False)
        if brdy is None:
            r.warn(f"{pp}.{_PAT['brdy'][0]}", "出生日期不可用，涉及年龄的规则不会触发", "brdy unusable: age rules cannot fire")
        poolarea = r.text(*_at(p, pp, _PAT["insu_admdvs"]))
        curr = r.text(p.get("curr_mdtrt_id"), f"{pp}.curr_mdtrt_id")
        encs_raw = p.get("fsi_encounter_dtos")
        if encs_raw is None and "encounterDtos" in p:
            encs_raw = p.get("encounterDtos")
        encs = r.objects(encs_raw, f"{pp}.fsi_encounter_dtos", MAX_ENCOUNTERS)
        if not encs:
            raise bad(f"{pp}.fsi_encounter_dtos", "必填字段缺失或为空（至少一次就诊）", "required: at least one encounter")
        if curr is None:
            if len(encs) == 1:
                curr = r.text(encs[0].get("mdtrt_id"), f"{pp}.fsi_encounter_dtos[0].mdtrt_id")
                r.warn(f"{pp}.curr_mdtrt_id", "缺少本次就诊ID，以唯一的就诊作为本次就诊",
                       "curr_mdtrt_id missing; the only encounter is taken as current")
            else:
                raise bad(f"{pp}.curr_mdtrt_id", "有多次就诊时必须给出本次就诊ID",
                          "required when several encounters are sent")
        insutype_p: str | None = None
        for ei, e in enumerate(encs):
            ep = f"{pp}.fsi_encounter_dtos[{ei}]"
            mdtrt_id = r.text(*_at(e, ep, _ENC["mdtrt_id"]), required=True)
            assert mdtrt_id is not None
            if mdtrt_id in seen_enc:
                raise bad(f"{ep}.{_ENC['mdtrt_id'][0]}", f"就诊ID重复：{mdtrt_id[:50]}", f"duplicate mdtrt_id {mdtrt_id[:50]}")
            seen_enc.add(mdtrt_id)
            is_current = mdtrt_id == curr
            medins_id = r.text(*_at(e, ep, _ENC["fixmedins_code"]), required=True)
            assert medins_id is not None
            medins_admdvs = r.text(*_at(e, ep, _ENC["medins_admdvs"]))
            medins_type = r.text(*_at(e, ep, _INST["fixmedins_type"]))
            medins_lv = r.text(*_at(e, ep, _INST["hosp_lv"]))
            if medins_id not in seen_inst:
                kind = _institution_type(r, medins_type, medins_id, f"{ep}.{_INST['fixmedins_type'][0]}")
                # a pharmacy has no hospital grade: its absence is no gap (the level rules count it as 0)
                level, hosp_lv = (0, None) if kind == "pharmacy" and medins_lv is None else \
                    _level(r, medins_lv, f"{ep}.{_INST['hosp_lv'][0]}")
                inst = {"fixmedins_code": medins_id,
                        "fixmedins_name": r.text(*_at(e, ep, _INST["fixmedins_name"])) or medins_id,
                        "fixmedins_type": kind, "medins_lv": level, "hosp_lv": hosp_lv,
                        "admdvs": medins_admdvs or poolarea or ""}
                seen_inst[medins_id] = inst
                rows["institutions"].append(inst)
            med_type = r.text(*_at(e, ep, _ENC["med_type"]))
            visit = _visit_type(med_type, r.text(e.get("med_mdtrt_type"), f"{ep}.med_mdtrt_type"),
                                seen_inst[medins_id]["fixmedins_type"], trig)
            if visit is None:
                visit = "outpatient"
                r.warn(f"{ep}.{_ENC['med_type'][0]}", "医疗类别无法识别，按普通门诊处理", "unknown med_type; treated as outpatient")
            adm = r.when(*_at(e, ep, _ENC["adm_time"]), with_time=True)
            dscg = r.when(*_at(e, ep, _ENC["dscg_time"]), with_time=True)
            setl = r.when(*_at(e, ep, _ENC["setl_time"]), with_time=True)
            insutype = r.text(*_at(e, ep, _ENC["insutype"]))
            insutype_p = insutype_p or insutype
            sumamt = r.fen(*_at(e, ep, _ENC["medfee_sumamt_fen"]))
            ownpay = r.fen(*_at(e, ep, _ENC["psn_pay_fen"])) or 0
            selfpay = r.fen(e.get("selfpay_amt"), f"{ep}.selfpay_amt") or 0
            hifp = r.fen(*_at(e, ep, _ENC["fund_pay_fen"]))
            ma = r.fen(e.get("ma_amt"), f"{ep}.ma_amt") or 0
            enc: dict[str, Any] = {
                "mdtrt_id": mdtrt_id, "psn_no": psn_no, "fixmedins_code": medins_id,
                "med_type": med_type or {"inpatient": "21", "pharmacy": "41"}.get(visit, "11"),
                "visit_type": visit, "adm_time": adm, "dscg_time": dscg,
                "dept_code": r.text(*_at(e, ep, _ENC["dept_code"])),
                "dept_name": r.text(*_at(e, ep, _ENC["dept_name"])),
                "chfpdr_code": r.text(*_at(e, ep, _ENC["chfpdr_code"])),
                "dscg_maindiag_code": r.text(*_at(e, ep, _ENC["dscg_maindiag_code"])),
                "psn_admdvs": poolarea or medins_admdvs or "", "medins_admdvs": medins_admdvs or poolarea or "",
                "insutype": insutype or "", "dise_no": r.text(*_at(e, ep, _ENC["dise_no"])),
                "setl_id": None, "setl_time": setl,
                "medfee_sumamt_fen": sumamt,  # absent on an order: unknown, never a total of 0
                "fund_pay_fen": hifp + ma if hifp is not None else max((sumamt or 0) - ownpay - selfpay, 0),
                "psn_pay_fen": ownpay + selfpay, "dscg_way": r.text(*_at(e, ep, _ENC["dscg_way"])),
            }
            setl_flag = r.text(e.get("out_setl_flag"), f"{ep}.out_setl_flag")
            if is_current:
                enc_remote, flagged = _remote(r, setl_flag, f"{ep}.out_setl_flag", poolarea, medins_admdvs,
                                              out_setl_codes)
                remote = remote or enc_remote
                # a "local" flag contradicted by the regions is left to the rule's pooling-level comparison
                enc["remote_flag"] = None if flagged is False and enc_remote else flagged
                if flagged and poolarea is None:
                    enc["psn_admdvs"] = ""  # insured elsewhere, region unknown: never the institution's own
            # orders
            orders = r.objects(e.get("fsi_order_dtos"), f"{ep}.fsi_order_dtos", MAX_ORDERS)
            n_orders += len(orders)
            if n_orders > MAX_ORDERS:
                raise bad(f"{ep}.fsi_order_dtos", f"处方/医嘱明细过多（上限{MAX_ORDERS}）",
                          f"too many orders (limit {MAX_ORDERS})")
            times: list[str] = []
            for oi, o in enumerate(orders):
                op = f"{ep}.fsi_order_dtos[{oi}]"
                line = _order(r, o, op, mdtrt_id, adm, seen_lines)
                if line is None:
                    continue
                if line["fee_ocur_time"] is not None:  # an unusable time was warned about; never a stand-in
                    times.append(line["fee_ocur_time"])
                rows["fee_lines"].append(line)
                _staff(r, o, op, medins_id, staff)
                cur_flag = r.flag(o.get("curr_drord_flag"), f"{op}.curr_drord_flag")
                if is_current and cur_flag is not False:
                    current_lines.add(line["line_id"])
            if adm is None:
                if times:
                    enc["adm_time"] = min(times)
                    r.warn(f"{ep}.{_ENC['adm_time'][0]}", "入院/就诊时间不可用，以最早医嘱时间代替",
                           "adm_date unusable; the earliest order time is used")
                else:
                    raise bad(f"{ep}.{_ENC['adm_time'][0]}", "必填字段缺失或无法识别（就诊时间）", "required: adm_date")
            for line in rows["fee_lines"]:
                if line["mdtrt_id"] == mdtrt_id and line["fee_ocur_time"] is None:
                    line["fee_ocur_time"] = enc["adm_time"]
            if enc["setl_time"] is None:
                enc["setl_time"] = enc["dscg_time"] or max([enc["adm_time"], *[t for t in times if t]])
            for di, d in enumerate(r.objects(e.get("fsi_diagnose_dtos"), f"{ep}.fsi_diagnose_dtos", 200)):
                dp = f"{ep}.fsi_diagnose_dtos[{di}]"
                code = r.text(*_at(d, dp, _DIAG["diag_code"]))
                if code is None:
                    r.warn(f"{dp}.{_DIAG['diag_code'][0]}", "诊断代码缺失，该诊断未参与审核", "diagnosis code missing; ignored")
                    continue
                main = r.flag(*_at(d, dp, _DIAG["maindiag_flag"]))
                rows["diagnoses"].append({"mdtrt_id": mdtrt_id, "diag_code": code,
                                          "diag_name": r.text(*_at(d, dp, _DIAG["diag_name"])),
                                          "maindiag_flag": 1 if main else 0,
                                          "diag_type": r.text(*_at(d, dp, _DIAG["diag_type"]))})
            if enc["dscg_maindiag_code"] is None:
                mains = [d["diag_code"] for d in rows["diagnoses"] if d["mdtrt_id"] == mdtrt_id and d["maindiag_flag"]]
                enc["dscg_maindiag_code"] = mains[0] if mains else None
            for qi, q in enumerate(r.objects(e.get("fsi_operation_dtos"), f"{ep}.fsi_operation_dtos", 100)):
                qp = f"{ep}.fsi_operation_dtos[{qi}]"
                code = r.text(*_at(q, qp, _OPRN["oprn_code"]))
                if code is None:
                    r.warn(f"{qp}.{_OPRN['oprn_code'][0]}", "手术操作代码缺失，已忽略", "operation code missing; ignored")
                    continue
                main = r.flag(*_at(q, qp, _OPRN["main_oprn_flag"]))
                rows["operations"].append({"mdtrt_id": mdtrt_id, "oprn_code": code,
                                           "oprn_name": r.text(*_at(q, qp, _OPRN["oprn_name"])),
                                           "main_oprn_flag": None if main is None else int(main),
                                           "oprn_time": r.when(*_at(q, qp, _OPRN["oprn_time"]), True),
                                           "oper_dr_code": r.text(*_at(q, qp, _OPRN["oper_dr_code"]))})
            rows["encounters"].append(enc)
            if is_current:
                current_mdtrt.add(mdtrt_id)
                curr_encounters.append(enc)
        if curr not in seen_enc:
            raise bad(f"{pp}.curr_mdtrt_id", "本次就诊ID不在就诊信息列表中", "curr_mdtrt_id is not among fsi_encounter_dtos")
        rows["patients"].append({"psn_no": psn_no, "gend": gend, "brdy": brdy, "insutype": insutype_p or "",
                                 "insu_admdvs": poolarea or "", "die_date": None})
        patients.append(psn_no)
    rows["staff"] = list(staff.values())
    return Mapped(rows, patients, current_mdtrt, current_lines, set(seen_inst), curr_encounters, trig, rule_ids,
                  task_id, remote, r.warnings)


def _order(r: _Reader, o: dict[str, Any], op: str, mdtrt_id: str, adm: str | None,
           seen: set[str]) -> dict[str, Any] | None:
    rx_id = r.text(*_at(o, op, _LINE["line_id"]), required=True)
    assert rx_id is not None
    if rx_id in seen:
        raise bad(f"{op}.{_LINE['line_id'][0]}", f"处方/医嘱明细ID重复：{rx_id[:50]}", f"duplicate rx_id {rx_id[:50]}")
    seen.add(rx_id)
    code = r.text(*_at(o, op, _LINE["hilist_code"]), required=True)
    assert code is not None
    cnt = r.milli(*_at(o, op, _LINE["cnt_milli"]))
    pric = r.fen(*_at(o, op, _LINE["pric_fen"]), price=True)
    amt = r.fen(*_at(o, op, _LINE["amt_fen"]))
    if cnt is None:
        if pric and amt is not None:
            cnt = amt * 1000 // pric
            r.warn(f"{op}.{_LINE['cnt_milli'][0]}", "数量不可用，按金额/单价推算", "cnt unusable; derived from sumamt / pric")
        else:
            r.warn(f"{op}.{_LINE['cnt_milli'][0]}", "数量不可用，该明细未参与审核", "cnt unusable; this order was not audited")
            return None
    if amt is None:
        if pric is None:
            r.warn(f"{op}.{_LINE['amt_fen'][0]}", "金额与单价均不可用，该明细未参与审核", "sumamt and pric unusable; order not audited")
            return None
        amt = cnt * pric // 1000
        r.warn(f"{op}.{_LINE['amt_fen'][0]}", "金额不可用，按数量×单价计算", "sumamt unusable; computed as cnt × pric")
    if pric is None:
        pric = amt * 1000 // cnt if cnt else 0
        r.warn(f"{op}.{_LINE['pric_fen'][0]}", "单价不可用，按金额/数量推算", "pric unusable; derived from sumamt / cnt")
    chrg = _chrg_type(r.text(*_at(o, op, _LINE["med_chrgitm_type"])), code, r.text(o.get("hilist_type"), f"{op}.hilist_type"))
    if chrg is None:
        chrg = "14"
        r.warn(f"{op}.{_LINE['med_chrgitm_type'][0]}", "收费项目类别缺失，按其他(14)处理", "chrg_type missing; treated as 14 (other)")
    prd = r.integer(*_at(o, op, _LINE["prd_days"]), 0, 10000)
    selfpay = r.flag(*_at(o, op, _LINE["selfpay_flag"]))
    when = (r.when(*_at(o, op, _LINE["fee_ocur_time"][:1]), True)
            or r.when(*_at(o, op, _LINE["fee_ocur_time"][1:]), True))
    return {
        "line_id": rx_id, "mdtrt_id": mdtrt_id, "hilist_code": code,
        "hilist_name": r.text(*_at(o, op, _LINE["hilist_name"])) or r.text(o.get("hosplist_name"), f"{op}.hosplist_name") or code,
        "med_chrgitm_type": chrg, "cnt_milli": cnt, "unit": r.text(*_at(o, op, _LINE["unit"])),
        "pric_fen": pric, "amt_fen": amt,
        "bilg_dr_code": r.text(*_at(o, op, _LINE["bilg_dr_code"])),
        "bilg_dept_code": r.text(*_at(o, op, _LINE["bilg_dept_code"])),
        "acord_dept_code": r.text(*_at(o, op, _LINE["acord_dept_code"])),
        "fee_ocur_time": when or adm,
        "drug_trac_codg": _trace_field(r, o, op),
        "trdn_flag": None if (t := r.flag(*_at(o, op, _LINE["trdn_flag"]))) is None else int(t),
        "spec": r.text(*_at(o, op, _LINE["spec"])),
        "prd_days": prd,
        "daily_dose_milli": None, "dose_unit": None,
        "selfpay_flag": None if selfpay is None else int(selfpay),
        "refund_flag": 0, "init_line_id": None,
        "drord_bhvr": r.text(*_at(o, op, _LINE["drord_bhvr"])),
    }


def _trace_field(r: _Reader, o: dict[str, Any], op: str) -> str | None:
    """All box codes of one order as one comma-separated field, the representation ingest reads and
    the engine splits into boxes (engine.prepare.split_trace_codes): ``drug_trac_codg`` (which may
    itself list several) plus the 3505-style ``drugtracinfo[].drug_trac_codg``."""
    codes = [c for c in (r.text(*_at(o, op, _LINE["drug_trac_codg"])),) if c]
    for i, t in enumerate(r.objects(o.get("drugtracinfo"), f"{op}.drugtracinfo", MAX_BOXES)):
        code = r.text(t.get("drug_trac_codg"), f"{op}.drugtracinfo[{i}].drug_trac_codg")
        if code:
            codes.append(code)
    return ",".join(codes) or None


def scenes_for(trig: str | None, remote: bool, chronic: bool = False) -> tuple[str | None, set[str]]:
    """(stage, scenes) a trigger scene selects: 1–5 事前, 6–9 事中; 门诊 1,2,6,7 → 门急诊/购药; 住院 3,4,5,8,9;
    异地就医 when the patient's pool differs from the institution's; 门诊慢特病 for a 门慢门特 visit."""
    if trig is None:
        return None, set()
    stage = "事前" if trig in ("1", "2", "3", "4", "5") else "事中"
    scenes = {"门急诊", "购药"} if trig in OUTPATIENT_SCENES else {"住院"}
    if remote:
        scenes.add("异地就医")
    if chronic:
        scenes.add("门诊慢特病")
    return stage, scenes
