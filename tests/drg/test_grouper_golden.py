"""Golden cases for the CHS-DRG 1.1 grouper, each built from the documented rules of the tables.

Every case names the rule it exercises; the preconditions it relies on (a code's lists, a CCE
table) are asserted from the tables first, so a change of the national tables shows as a failed
precondition, not as a mysterious group.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from medaudit.drg import FAIL, OK, QY, Grouper, Stay
from medaudit.drg.tables import grouper_dir, load_tables

# (case, stay, expected (mdc, adrg, drg, status, reason_code))
CASES = [
    # condition kinds of adrg.tsv
    ("main_dx_in_zd (BR2), no secondary: the ADRG's `always` DRG",
     Stay(1, 60, None, None, ["G45.000"], []), ("MDCB", "BR2", "BR25", OK, None)),
    ("main_dx_in_zd & first_proc_in_ss (BB1), after MDC A had no ADRG for the valid procedure",
     Stay(1, 60, None, None, ["S02.000"], ["01.0900x006"]), ("MDCB", "BB1", "BB15", OK, None)),
    ("first_proc_in_ss (AA1 heart transplant)",
     Stay(1, 60, None, None, ["I21.003"], ["37.5100"]), ("MDCA", "AA1", "AA19", OK, None)),
    ("any_proc_in_ss & any_proc_in_ss1 (AC1)",
     Stay(1, 60, None, None, ["K86.100"], ["52.8000", "55.6100"]), ("MDCA", "AC1", "AC19", OK, None)),
    ("first_proc_valid (SB1)",
     Stay(1, 40, None, None, ["A01.000"], ["00.5500"]), ("MDCS", "SB1", "SB15", OK, None)),
    ("any_dx_in_zd & first_proc_valid (YC1)",
     Stay(1, 30, None, None, ["B20.001"], ["00.5500"]), ("MDCY", "YC1", "YC15", OK, None)),
    ("no_valid_proc (ZZ1) and MDC Z's two regions (头颈部 + 胸部)",
     Stay(1, 30, None, None, ["S06.000", "S27.000"], []), ("MDCZ", "ZZ1", "ZZ15", OK, None)),
    ("MDC Z with one region only: not Z, the next MDC listing the main diagnosis (B)",
     Stay(1, 30, None, None, ["S06.000"], []), ("MDCB", "BY1", "BY15", OK, None)),
    ("main_dx_in_zd & age_days<=28 (PR1), entry main_dx_age0",
     Stay(1, 0, 10, 3000, ["P22.000"], []), ("MDCP", "PR1", "PR15", OK, None)),
    ("first_proc_in_ss & age_days<=28 (PB1)",
     Stay(1, 0, 5, 3000, ["P22.000"], ["34.0200x003"]), ("MDCP", "PB1", "PB19", OK, None)),
    ("newborn weight band weight<1500 (PS1)", Stay(1, 0, 3, 1000, ["P07.200"], []), ("MDCP", "PS1", "PS15", OK, None)),
    ("newborn weight band 1500<=weight<2000 (PS2)", Stay(1, 0, 3, 1500, ["P07.200"], []), ("MDCP", "PS2", "PS25", OK, None)),
    ("newborn weight band 1500<=weight<2000, upper edge", Stay(1, 0, 3, 1999, ["P07.200"], []), ("MDCP", "PS2", "PS25", OK, None)),
    ("newborn weight band 2000<=weight<2500 (PS3)", Stay(1, 0, 3, 2000, ["P07.200"], []), ("MDCP", "PS3", "PS39", OK, None)),
    ("newborn weight band weight>=2500 (PS4)", Stay(1, 0, 3, 2500, ["P07.200"], []), ("MDCP", "PS4", "PS45", OK, None)),
    ("newborn weight band: PS4's CC split", Stay(1, 0, 3, 3000, ["P07.200", "A00.100"], []),
     ("MDCP", "PS4", "PS43", OK, None)),
    ("always (PV1): age 0 but 60 days, so no newborn ADRG",
     Stay(1, 0, 60, None, ["P05.001"], []), ("MDCP", "PV1", "PV15", OK, None)),
    ("proc_groups(1+2|1+3+4), alternative 1+2 (JA1)",
     Stay(2, 50, None, None, ["C50.900x005"], ["85.5300x001", "85.4300x003"]), ("MDCJ", "JA1", "JA19", OK, None)),
    ("proc_groups(1+2|1+3+4), alternative 1+3+4 (JA1)",
     Stay(2, 50, None, None, ["C50.900x005"], ["85.5300x001", "85.2100x003", "40.2100"]),
     ("MDCJ", "JA1", "JA19", OK, None)),
    ("proc_groups(1|2+3) (JA2): JA1's groups 3+4 are not an alternative",
     Stay(2, 50, None, None, ["C50.900x005"], ["85.2100x003", "40.2100"]), ("MDCJ", "JA2", "JA29", OK, None)),
    ("proc_groups: 1+3 is neither JA1's nor JA2's alternative: the next ADRG",
     Stay(2, 50, None, None, ["C50.900x005"], ["85.5300x001", "85.2100x003"]), ("MDCJ", "JB1", "JB19", OK, None)),
    ("main_dx_male (MDC M)", Stay(1, 70, None, None, ["N40.x00"], []), ("MDCM", "MZ1", "MZ19", OK, None)),
    # MCC / CC splits with and without a CCE exclusion (main G45.000 has exclusion table 69)
    ("mcc split: a MCC of another table counts", Stay(1, 60, None, None, ["G45.000", "A01.100"], []),
     ("MDCB", "BR2", "BR21", OK, None)),
    ("mcc split: a MCC of the main diagnosis's CCE table does not count",
     Stay(1, 60, None, None, ["G45.000", "G41.000"], []), ("MDCB", "BR2", "BR25", OK, None)),
    ("mcc_or_cc split: a CC of another table", Stay(1, 60, None, None, ["G45.000", "A00.100"], []),
     ("MDCB", "BR2", "BR23", OK, None)),
    ("mcc_or_cc split: a CC of the same table is excluded",
     Stay(1, 60, None, None, ["G45.000", "G40.100"], []), ("MDCB", "BR2", "BR25", OK, None)),
    ("excluded MCC beside a counting CC: the CC group",
     Stay(1, 60, None, None, ["G45.000", "G41.000", "A00.100"], []), ("MDCB", "BR2", "BR23", OK, None)),
    # fall-through: MDC A's entry holds (valid first procedure) but none of its ADRGs
    ("fall-through from MDC A (no ADRG holds) to MDC B",
     Stay(1, 60, None, None, ["G45.000"], ["00.5500"]), ("MDCB", "BR2", "BR25", OK, None)),
    # 无法入组
    ("main diagnosis in no MDC list", Stay(1, 70, None, None, ["A00.000"], []),
     (None, None, "0000", FAIL, "main_dx_not_in_mdc")),
    ("sex conflict: a male-MDC main diagnosis for a woman", Stay(2, 70, None, None, ["N40.x00"], []),
     (None, None, "0000", FAIL, "sex_conflict")),
    ("in an MDC list, but the MDC's entry fails (P needs age 0)", Stay(1, 30, None, None, ["P05.001"], []),
     (None, None, "0000", FAIL, "no_adrg")),
    ("invalid diagnosis code (not in 医保版 ICD-10)", Stay(1, 50, None, None, ["I21.900x011"], []),
     (None, None, "0000", FAIL, "invalid_code")),
    ("invalid procedure code (not in 医保版 ICD-9-CM-3)", Stay(1, 50, None, None, ["G45.000"], ["99.9999x999"]),
     (None, None, "0000", FAIL, "invalid_code")),
    ("sex missing", Stay(None, 50, None, None, ["G45.000"], []), (None, None, "0000", FAIL, "missing_info")),
    ("newborn without birth weight", Stay(1, 0, 3, None, ["P07.200"], []), (None, None, "0000", FAIL, "missing_info")),
    ("no diagnosis", Stay(1, 50, None, None, [], []), (None, None, "0000", FAIL, "missing_info")),
]


@pytest.mark.parametrize(("case", "stay", "expected"), CASES, ids=[c[0] for c in CASES])
def test_golden(grouper: Grouper, case: str, stay: Stay, expected: tuple[object, ...]) -> None:
    assert tuple(grouper.group(stay)[:5]) == expected, case


def test_preconditions_from_the_tables(grouper: Grouper) -> None:
    t = grouper.tables
    adrg, mdcs = t.adrgs, {m.code: m for m in t.mdcs}
    assert t.cce["G45.000"] == t.mcc["G41.000"] == t.cc["G40.100"] == "69"
    assert t.mcc["A01.100"] != "69" and t.cc["A00.100"] != "69" and "A00.100" not in t.mcc
    assert "G45.000" in adrg["BR2"].zd and [s for s, _ in adrg["BR2"].drgs] == ["BR21", "BR23", "BR25"]
    assert "00.5500" in t.valid_proc  # MDC A's entry holds for the fall-through case
    assert mdcs["Z"].region["S06.000"] != mdcs["Z"].region["S27.000"]
    assert "S06.000" in mdcs["B"].main_dx
    assert "P07.200" in adrg["PS1"].zd and "P07.200" not in adrg["PR1"].zd
    assert all("A00.000" not in m.main_dx for m in t.mdcs)
    assert mdcs["M"].entry == "main_dx_male" and "N40.x00" in mdcs["M"].main_dx
    ja1 = adrg["JA1"].proc_group
    assert (ja1["85.5300x001"], ja1["85.4300x003"], ja1["85.2100x003"], ja1["40.2100"]) == ("1", "2", "3", "4")
    assert grouper.valid_dx is not None and "I21.900x011" not in grouper.valid_dx


def test_reasons_name_the_codes(grouper: Grouper) -> None:
    assert "I21.900x011" in (grouper.group(Stay(1, 50, None, None, ["I21.900x011"], [])).reason or "")
    sex = grouper.group(Stay(2, 70, None, None, ["N40.x00"], [])).reason or ""
    assert "N40.x00" in sex and "MDCM" in sex


def _tables_with_active_qy(tmp_path: Path, mdc: str) -> Path:
    """A copy of the real tables with one MDC's ambiguous-group step switched on."""
    src = grouper_dir()
    ref = tmp_path / "ref"
    shutil.copytree(src.parent, ref, ignore=shutil.ignore_patterns("grouper"))
    shutil.copytree(src, ref / "grouper")
    steps = ref / "grouper" / "mdc_steps.tsv"
    lines = steps.read_text(encoding="utf-8").splitlines()
    out = [ln[:-1] + "1" if ln.startswith(f"{mdc}\t") and "\tqy_if_any_valid_proc\t" in ln else ln for ln in lines]
    assert out != lines
    steps.write_text("\n".join(out) + "\n", encoding="utf-8")
    return ref / "grouper"


def test_ambiguous_group_when_the_step_is_active(tmp_path: Path, grouper: Grouper) -> None:
    tables = load_tables(_tables_with_active_qy(tmp_path, "B"))
    g = Grouper(tables, grouper.valid_dx, grouper.valid_proc)
    # valid procedure, no surgical ADRG of MDC B: the active BQY step comes before BR2
    assert tuple(g.group(Stay(1, 60, None, None, ["G45.000"], ["00.5500"]))[:5]) == \
        ("MDCB", "BQY", "BQY", QY, "ambiguous")
    # without a valid procedure the step does not apply
    assert g.group(Stay(1, 60, None, None, ["G45.000"], [])).drg == "BR25"
    # the shipped tables keep it off
    assert grouper.group(Stay(1, 60, None, None, ["G45.000"], ["00.5500"])).drg == "BR25"


def test_unknown_condition_term_fails_the_load(tmp_path: Path, grouper: Grouper) -> None:
    from medaudit.errors import InputError

    folder = _tables_with_active_qy(tmp_path, "B")
    adrg = folder / "adrg.tsv"
    adrg.write_text(adrg.read_text(encoding="utf-8").replace("BR2\tmain_dx_in_zd", "BR2\tmain_dx_in_zz"),
                    encoding="utf-8")
    with pytest.raises(InputError, match="main_dx_in_zz"):
        Grouper(load_tables(folder))


def test_missing_tables_are_a_clear_error(tmp_path: Path) -> None:
    from medaudit.errors import InputError

    with pytest.raises(InputError, match="mdc.tsv"):
        load_tables(tmp_path / "grouper")
