"""Every finding names the doctor and department answerable for it (for 驾照式记分 scoring)."""

from __future__ import annotations

from medaudit.rules.golden import build_case, run_case


def test_line_finding_names_ordering_doctor_and_encounter_finding_the_attending() -> None:
    case = build_case("drug_gender", {
        "name": "line", "knowledge": {"kb_drug": [
            {"code_prefix": "XG03DAH051B0", "generic_name": "黄体酮", "category": "西药", "chrgitm_lv": "甲",
             "gender": "2"}]},
        "claims": {
            "encounters": [{"mdtrt_id": "E1", "chfpdr_code": "D440100000009", "dept_code": "A03"}],
            "fee_lines": [{"line_id": "L1", "hilist_code": "XG03DAH051B0010101234",
                           "bilg_dr_code": "D440100000001", "bilg_dept_code": "A05"}]}})
    f = run_case(case).to_pylist()
    assert [(r["line_id"], r["dr_code"], r["dept_code"]) for r in f] == [("L1", "D440100000001", "A05")]

    stay = {"visit_type": "inpatient", "med_type": "21", "chfpdr_code": "D440100000009", "dept_code": "A03"}
    case = build_case("split_admission", {
        "name": "encounter", "claims": {"encounters": [
            {**stay, "mdtrt_id": "E1", "adm_time": "2025-03-01 09:00:00", "dscg_time": "2025-03-08 10:00:00"},
            {**stay, "mdtrt_id": "E2", "adm_time": "2025-03-10 09:00:00", "dscg_time": "2025-03-12 10:00:00",
             "chfpdr_code": "D440100000007"}]}})
    f = run_case(case).to_pylist()
    assert [(r["mdtrt_id"], r["line_id"], r["dr_code"], r["dept_code"]) for r in f] == [
        ("E2", None, "D440100000007", "A03")]
