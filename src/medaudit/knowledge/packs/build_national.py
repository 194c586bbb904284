"""Generate the illustrative starter national pack (the CSVs are the product; this keeps them consistent).

Run ``python -m medaudit.knowledge.packs.build_national`` after editing the tables in
``national_data.py``. Codes are *shaped* like national 医保信息业务编码 (DOMAIN.md §2.4) and are
derived deterministically from the names, so regenerating keeps existing codes stable.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from medaudit.knowledge.packs import charging_freq_data, panels_data
from medaudit.knowledge.packs import national_data as D
from medaudit.knowledge.packs import national_policy as P
from medaudit.knowledge.packs import swaps_data as S
from medaudit.knowledge.packs.textrows import data_lines
from medaudit.knowledge.tables_persons import national_diag_age_rows, national_diag_gender_rows

OUT = Path(__file__).resolve().parent / "national"

#: dosage-form group → (2-char code in the 12-char 西药 prefix, catalogue form name)
FORMS: dict[str, tuple[str, str]] = {
    "常释": ("A0", "口服常释剂型"),
    "缓释": ("A1", "缓释控释剂型"),
    "注射": ("B0", "注射剂"),
    "颗粒": ("C0", "颗粒剂"),
    "口服液": ("D0", "口服液体剂"),
    "吸入": ("E0", "吸入剂"),
    "鼻用": ("E1", "鼻用制剂"),
    "滴眼": ("F0", "滴眼剂"),
    "外用": ("G0", "软膏剂"),
    "栓": ("H0", "栓剂"),
    "贴": ("J0", "贴剂"),
    "散": ("K0", "散剂"),
}

#: department groups (codes of the 医保科室/诊疗科目 dictionary, see docs/knowledge.md)
DEPTS: dict[str, tuple[str, ...]] = {
    "妇": ("A05", "A05.01"),
    "产": ("A05", "A05.02"),
    "妇产": ("A05", "A05.01", "A05.02"),
    "儿": ("A07", "A07.01"),
    "新生儿": ("A07", "A07.01"),
    "眼": ("A10",),
    "耳鼻喉": ("A11",),
    "口腔": ("A12",),
    "皮肤": ("A13",),
    "精神": ("A15",),
    "肿瘤": ("A19",),
    "急诊": ("A20",),
    "康复": ("A21",),
    "麻醉": ("A26",),
    "重症": ("A28",),
    "中医": ("A50",),
    "泌尿": ("A04", "A04.04"),
    "骨": ("A04", "A04.03"),
    "心内": ("A03", "A03.04"),
    "消化": ("A03", "A03.02"),
    "呼吸": ("A03", "A03.01"),
    "神内": ("A03", "A03.03"),
    "肾内": ("A03", "A03.06"),
}

# GB2312 level-1 characters are ordered by pinyin: the first byte pair gives the initial letter.
_GB_BOUNDS = [
    (0xB0A1, "A"), (0xB0C5, "B"), (0xB2C1, "C"), (0xB4EE, "D"), (0xB6EA, "E"), (0xB7A2, "F"), (0xB8C1, "G"),
    (0xB9FE, "H"), (0xBBF7, "J"), (0xBFA6, "K"), (0xC0AC, "L"), (0xC2E8, "M"), (0xC4C3, "N"), (0xC5B6, "O"),
    (0xC5BE, "P"), (0xC6DA, "Q"), (0xC8BB, "R"), (0xC8F6, "S"), (0xCBFA, "T"), (0xCDDA, "W"), (0xCEF4, "X"),
    (0xD1B9, "Y"), (0xD4D1, "Z"), (0xD7FA, "?"),
]
_INITIAL_OVERRIDES = {"噻": "S", "哌": "P", "呋": "F", "吲": "Y", "喹": "K", "嘧": "M", "咪": "M", "蒙": "M",
                      "厄": "E", "缬": "X", "坎": "K", "羟": "Q", "泮": "P", "雷": "L", "兰": "L", "艾": "A",
                      "氟": "F", "莫": "M", "帕": "P", "妥": "T", "瑞": "R", "孟": "M", "鲁": "L", "舍": "S",
                      "吡": "B", "哌拉": "P", "酚": "F", "醋": "C", "胰": "Y", "硫": "L", "頭": "T", "桉": "A",
                      "芪": "Q", "麝": "S", "氢": "Q", "腺": "X"}


def initial(name: str) -> str:
    ch = name[0]
    if ch in _INITIAL_OVERRIDES:
        return _INITIAL_OVERRIDES[ch]
    if ch.isascii() and ch.isalpha():
        return ch.upper()
    try:
        b = ch.encode("gb2312")
    except UnicodeEncodeError:
        return "X"
    if len(b) != 2:
        return "X"
    code = b[0] << 8 | b[1]
    letter = "X"
    for bound, ltr in _GB_BOUNDS:
        if code >= bound:
            letter = ltr
    return "X" if letter == "?" else letter


def _h(text: str) -> int:
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16)


@dataclass
class Codes:
    used: set[str] = field(default_factory=set)
    by_name: dict[str, str] = field(default_factory=dict)

    def generic(self, name: str, width: int, salt: str) -> str:
        if name in self.by_name:
            return self.by_name[name]
        letter = initial(name)
        space = 10 ** width - 10 ** (width - 1)
        n = _h(salt + name) % space
        while True:
            code = f"{letter}{10 ** (width - 1) + n:0{width}d}"
            if salt + code not in self.used:
                break
            n = (n + 1) % space
        self.used.add(salt + code)
        self.by_name[name] = code
        return code


def _flags(tokens: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for t in tokens:
        if "=" in t:
            k, v = t.split("=", 1)
            out[k] = v
        else:
            out[t] = "1"
    return out


def _restriction(f: dict[str, str], visit: list[str]) -> str:
    if "r" in f:
        return f["r"]
    parts: list[str] = []
    if f.get("g") == "1":
        parts.append("限男性")
    if f.get("g") == "2":
        parts.append("限女性")
    if "amax" in f:
        parts.append("限儿童" if f["amax"] == "18" else f"限{f['amax']}岁以下")
    if "amin" in f:
        parts.append(f"限{f['amin']}岁及以上")
    if f.get("lvl") == "2":
        parts.append("限二级及以上医疗机构")
    if f.get("lvl") == "3":
        parts.append("限三级医疗机构")
    if visit == ["inpatient"]:
        parts.append("限住院")
    elif visit:
        parts.append("限" + "或".join({"emergency": "急诊", "inpatient": "住院", "outpatient": "门诊",
                                      "chronic": "门诊慢特病", "pharmacy": "药店"}[v] for v in visit))
    if "2nd" in f:
        parts.append("限二线用药")
    if "ins" in f:
        parts.append(f"限{f['ins']}保险")
    if "ind" in f:
        parts.append("限说明书适应症")
    return "；".join(parts)


def build_drugs(codes: Codes) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for section, text in (("西药", D.WESTERN + P.WESTERN), ("中成药", D.PATENT)):
        for tok in data_lines(text):
            cls, name, form, lv, unit, price = tok[:6]
            f = _flags(tok[6:])
            if section == "西药":
                form_code, form_name = FORMS[form]
                generic = codes.generic(name, 3, "X")
                prefix = f"X{cls}{generic}{form_code}"
                drug_class = f.get("cls", cls[:4])
            else:
                form_name = form
                generic = codes.generic(name, 4, "Z")
                prefix = f"Z{cls}{generic}"
                drug_class = f.get("cls", "Z" + cls[:3])
            assert len(prefix) in (11, 12), prefix
            assert prefix not in seen, (prefix, name)
            seen.add(prefix)
            visit = f["visit"].split("|") if "visit" in f else []
            dose = f.get("dose", "")
            dose_val = dose_unit = ""
            if dose:
                num = dose.rstrip("abcdefghijklmnopqrstuvwxyzμIU单位")
                dose_val, dose_unit = num, dose[len(num):]
            Decimal(price)
            rows.append({
                "code_prefix": prefix,
                "generic_name": name,
                "dosage_form": form_name,
                "category": section,
                "chrgitm_lv": lv,
                "restriction_text": _restriction(f, visit),
                "gender": f.get("g", ""),
                "age_min": f.get("amin", ""),
                "age_max": f.get("amax", ""),
                "min_level": f.get("lvl", ""),
                "second_line": "1" if "2nd" in f else "0",
                "insurance_only": f.get("ins", ""),
                "max_daily_dose": dose_val,
                "dose_unit": dose_unit,
                "max_days": f.get("days", ""),
                "ingredient": f.get("ing", name if section == "西药" else ""),
                "drug_class": drug_class,
                "unit": unit,
                "ref_price": price,
                "indications": f.get("ind", ""),
                "visit_types": f.get("visit", ""),
                "ver": D.VER,
                "begndate": D.BEGNDATE,
                "enddate": "",
            })
    return rows + P.herb_drugs(D.VER, D.BEGNDATE)


def build_items() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    names: set[str] = set()
    for tok in data_lines(D.ITEMS + P.ITEMS + S.ITEMS):
        code9, ext, name, cat, unit, p1, p2, p3 = tok[:8]
        f = _flags(tok[8:])
        assert len(code9) == 9 and code9.isdigit() and len(ext) == 4 and ext.isdigit(), tok
        code = f"00{code9}{ext}"
        assert code not in seen, code
        assert name not in names, name
        seen.add(code)
        names.add(name)
        depts: list[str] = []
        for g in f.get("dept", "").split("|") if f.get("dept") else []:
            for d in DEPTS[g]:
                if d not in depts:
                    depts.append(d)
        rows.append({
            "code_prefix": code,
            "name": name,
            "category": cat,
            "unit": unit,
            "price_cap_lv1": p1,
            "price_cap_lv2": p2,
            "price_cap_lv3": p3,
            "max_per_day": f.get("day", ""),
            "max_per_encounter": f.get("enc", ""),
            "gender": f.get("g", ""),
            "age_min": f.get("amin", ""),
            "age_max": f.get("amax", ""),
            "connotation": f.get("c", ""),
            "departments": "|".join(depts),
            "indications": f.get("ind", ""),
            "ver": D.VER,
            "begndate": D.BEGNDATE,
            "enddate": "",
        })
    return rows


def _write(name: str, rows: list[dict[str, str]], header: list[str]) -> None:
    with (OUT / name).open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow(r)


def main() -> None:
    codes = Codes()
    drugs = build_drugs(codes)
    items = build_items()
    drug_by_name: dict[str, list[dict[str, str]]] = {}
    for d in drugs:
        drug_by_name.setdefault(d["generic_name"], []).append(d)
        drug_by_name.setdefault(d["generic_name"] + "@" + d["dosage_form"], []).append(d)
    item_by_name = {i["name"]: i["code_prefix"] for i in items}

    def drug_prefixes(ref: str) -> list[str]:
        if ref not in drug_by_name:
            raise KeyError(f"unknown drug {ref}")
        return [d["code_prefix"] for d in drug_by_name[ref]]

    relations: list[dict[str, str]] = []
    rel_keys: set[tuple[str, str, str]] = set()
    for a, b, rel, win, *note in data_lines(D.RELATIONS):
        for bn in b.split("+"):
            key = (item_by_name[a], item_by_name[bn], rel)
            assert key not in rel_keys, key
            rel_keys.add(key)
            relations.append({"code_a": key[0], "code_b": key[1], "relation": rel, "time_window": win,
                              "note": " ".join(note), "ver": D.VER, "begndate": D.BEGNDATE, "enddate": ""})

    contra: list[dict[str, str]] = []
    pairs: set[tuple[str, str]] = set()
    for a, b, sev, *note in data_lines(D.CONTRAINDICATIONS):
        for pa_ in drug_prefixes(a):
            for pb in drug_prefixes(b):
                if (pa_, pb) in pairs or (pb, pa_) in pairs:
                    continue
                pairs.add((pa_, pb))
                contra.append({"prefix_a": pa_, "prefix_b": pb, "severity": sev, "note": " ".join(note),
                               "ver": D.VER, "begndate": D.BEGNDATE, "enddate": ""})

    chronic: list[dict[str, str]] = []
    for dise_no, dise_name, *refs in data_lines(D.CHRONIC):
        got: list[str] = []
        for ref in refs:
            for p in drug_prefixes(ref):
                if p not in got:
                    got.append(p)
        for p in got:
            chronic.append({"dise_no": dise_no, "dise_name": dise_name, "drug_prefix": p,
                            "ver": D.VER, "begndate": D.BEGNDATE, "enddate": ""})

    key_drugs: list[dict[str, str]] = []
    for ref, *reason in data_lines(D.KEY_DRUGS):
        for p in drug_prefixes(ref):
            d = next(x for x in drugs if x["code_prefix"] == p)
            key_drugs.append({"code_prefix": p, "name": d["generic_name"] + ("" if d["category"] == "中成药"
                                                                                else d["dosage_form"]),
                              "reason": " ".join(reason), "ver": D.VER, "begndate": D.BEGNDATE, "enddate": ""})

    gex: list[dict[str, str]] = []
    for ref, *note in data_lines(D.GENDER_EXCEPTIONS):
        prefixes = [item_by_name[ref]] if ref in item_by_name else drug_prefixes(ref)
        for p in prefixes:
            gex.append({"code_prefix": p, "note": " ".join(note), "ver": D.VER, "begndate": D.BEGNDATE,
                        "enddate": ""})

    from medaudit.knowledge.packs.build_charging import build as build_charging

    extra, extra_relations = build_charging(item_by_name, {"ver": D.VER, "begndate": D.BEGNDATE, "enddate": ""})
    relations += extra_relations
    for fname, (rows, header) in extra.items():
        _write(fname, rows, header)

    meta = ["ver", "begndate", "enddate"]
    _write("drugs.csv", drugs, list(drugs[0].keys()))
    _write("items.csv", items, list(items[0].keys()))
    _write("item_relations.csv", relations, ["code_a", "code_b", "relation", "time_window", "note", *meta])
    _write("contraindications.csv", contra, ["prefix_a", "prefix_b", "severity", "note", *meta])
    _write("chronic_drugs.csv", chronic, ["dise_no", "dise_name", "drug_prefix", *meta])
    _write("key_drugs.csv", key_drugs, ["code_prefix", "name", "reason", *meta])
    _write("gender_exceptions.csv", gex, ["code_prefix", "note", *meta])
    dgen = [{**r, "ver": D.VER, "begndate": D.BEGNDATE, "enddate": ""} for r in national_diag_gender_rows()]
    _write("diag_genders.csv", dgen, ["icd_prefix", "gender", "name", "note", *meta])
    dage = [{**r, "ver": D.VER, "begndate": D.BEGNDATE, "enddate": ""} for r in national_diag_age_rows()]
    _write("diag_ages.csv", dage, ["icd_prefix", "age_min", "age_max", "name", "note", *meta])
    policy = P.tables(drug_prefixes, item_by_name, D.VER, D.BEGNDATE)
    S.extend(policy, drug_prefixes, item_by_name, D.VER, D.BEGNDATE)
    for name, (header, rows) in policy.items():
        _write(name, rows, header)
    charging = charging_freq_data.build(item_by_name, _write)
    charging += ", " + panels_data.build(item_by_name, _write)
    (OUT / "manifest.yaml").write_text(D.MANIFEST, encoding="utf-8")
    print(f"drugs {len(drugs)}, items {len(items)}, relations {len(relations)}, contraindications {len(contra)}, "
          f"chronic {len(chronic)} ({len({c['dise_no'] for c in chronic})} diseases), key drugs {len(key_drugs)}, "
          f"gender exceptions {len(gex)}; {charging}")


if __name__ == "__main__":
    main()
