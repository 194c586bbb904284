"""Writing clues: ``clues.parquet`` (the full table) and a ``clues.xlsx`` sheet per model, in Chinese."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import xlsxwriter

from .model import SUBJECT_ZH

_HEADERS = ["排名", "线索编号", "模型", "模型版本", "对象类型", "对象", "评分", "涉及金额(元)", "涉及就诊",
            "关键指标", "线索说明", "定点机构", "处置状态"]


def write_clues(clues: pa.Table, out: Path, excel: bool = True) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {"clues": out / "clues.parquet"}
    pq.write_table(clues, paths["clues"])
    if excel:
        paths["excel"] = out / "clues.xlsx"
        write_clues_excel(clues, paths["excel"])
    return paths


def _row(r: dict[str, object]) -> list[object]:
    figures = json.loads(str(r["evidence"]))
    subjects = list(r["subject_ids"] or [])  # type: ignore[call-overload]
    shown = "、".join(subjects[:10]) + (f" 等{len(subjects)}人" if len(subjects) > 10 else "")
    return [r["rank"], r["clue_id"], r["model_name"], r["model_version"], SUBJECT_ZH.get(str(r["subject_type"]), ""),
            shown, round(float(r["score"]), 4), int(r["amount_fen"]) / 100,  # type: ignore[call-overload, arg-type]
            len(r["encounter_ids"] or []),  # type: ignore[arg-type]
            "；".join(f"{k}={v}" for k, v in figures.items()), r["narrative"], r["fixmedins_code"] or "",
            r["review_status"]]


def write_clues_excel(clues: pa.Table, path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    money = wb.add_format({"num_format": "#,##0.00"})
    ws = wb.add_worksheet("线索汇总")
    for c, h in enumerate(["模型", "模型名称", "线索数", "涉及金额(元)"]):
        ws.write(0, c, h, head)
    rows = clues.select(["model_id", "model_name", "amount_fen"]).to_pylist()
    summary: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        s = summary.setdefault((r["model_id"], r["model_name"]), [0, 0])
        s[0] += 1
        s[1] += int(r["amount_fen"])
    for i, ((mid, name), (n, amt)) in enumerate(sorted(summary.items()), start=1):
        ws.write_row(i, 0, [mid, name, n])
        ws.write_number(i, 3, amt / 100, money)
    for mid, _name in sorted(summary):
        sheet = wb.add_worksheet(mid[:31])  # Excel forbids "/" in sheet names: the id, not the name
        for c, h in enumerate(_HEADERS):
            sheet.write(0, c, h, head)
            sheet.set_column(c, c, 14 if c != 10 else 80)
        part = clues.filter(pc.equal(clues.column("model_id"), mid)).sort_by("rank")
        for i, r in enumerate(part.to_pylist(), start=1):
            for c, v in enumerate(_row(r)):
                if isinstance(v, str):
                    sheet.write_string(i, c, v)
                elif isinstance(v, int | float):
                    sheet.write_number(i, c, v, money if c == 7 else None)
        sheet.freeze_panes(1, 0)
    wb.close()
