"""The plain exchange layout of DRG tools: ``id,gender,age,age_days,weight,dx,proc`` → groups.

``dx`` and ``proc`` hold codes separated by ``|`` (commas inside quotes are accepted too), main
first. A row whose numbers do not parse is not dropped: it is grouped as 无法入组 with the reason.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from medaudit.drg.batch import group_table, ungrouped
from medaudit.drg.grouper import Grouper
from medaudit.errors import InputError

COLUMNS = ("id", "gender", "age", "age_days", "weight", "dx", "proc")
OUT_COLUMNS = ("id", "mdc", "adrg", "drg", "status")
_SPLIT = re.compile(r"[|,]")
_SEX = {"1": 1, "2": 2, "男": 1, "女": 2}


def _int(value: str | None, what: str, problems: list[str]) -> int | None:
    v = (value or "").strip()
    if not v:
        return None
    try:
        return int(float(v))
    except ValueError:
        problems.append(f"{what}不是数字：{v!r}")
        return None


def _codes(value: str | None) -> list[str]:
    return [c.strip() for c in _SPLIT.split(value or "") if c.strip()]


def read_records(path: Path) -> tuple[pa.Table, list[str | None]]:
    """(stays for :func:`group_table`, ids, per-row parse problem or None)."""
    try:
        table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(encoding="utf8"),
                               convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in COLUMNS},
                                                                    strings_can_be_null=False))
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"无法读取 CSV / cannot read {path}: {exc}") from exc
    missing = [c for c in COLUMNS if c not in table.column_names]
    if missing:
        raise InputError(f"CSV 缺少列 / missing columns {', '.join(missing)} (需要 {','.join(COLUMNS)})")
    cols = {c: table.column(c).to_pylist() for c in COLUMNS}
    rows, problems = [], []
    for i in range(table.num_rows):
        p: list[str] = []
        g = (cols["gender"][i] or "").strip()
        rows.append({"sex": _SEX.get(g), "age": _int(cols["age"][i], "年龄", p),
                     "age_days": _int(cols["age_days"][i], "年龄天数", p),
                     "weight": _int(cols["weight"][i], "出生体重", p),
                     "dx": _codes(cols["dx"][i]), "procs": _codes(cols["proc"][i])})
        problems.append("；".join(p) or None)
    from medaudit.drg.batch import STAY_SCHEMA

    stays = pa.Table.from_pylist(rows, schema=STAY_SCHEMA)
    return stays.append_column("id", table.column("id")), problems


def group_csv(grouper: Grouper, src: Path, dest: Path, with_reason: bool = False) -> pa.Table:
    """Groups ``src`` into ``dest`` (written beside, then renamed); returns the output table."""
    stays, problems = read_records(src)
    res = group_table(grouper, stays.drop_columns(["id"]))
    bad = [i for i, p in enumerate(problems) if p]
    if bad:  # unparsable numbers: 无法入组 with the parse problem, whatever the grouper made of the rest
        rows = res.to_pylist()
        fail = ungrouped(1, "").to_pylist()[0]
        for i in bad:
            rows[i] = {**fail, "reason": f"病案信息解析出错：{problems[i]}"}
        res = pa.Table.from_pylist(rows, schema=res.schema)
    out = pa.table({"id": stays.column("id"), **{c: res.column(c) for c in OUT_COLUMNS[1:]}})
    if with_reason:
        out = out.append_column("reason", res.column("reason"))
    tmp = dest.with_name(f".{dest.name}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(out.column_names)
        w.writerows(zip(*(out.column(c).to_pylist() for c in out.column_names), strict=True))
    tmp.replace(dest)
    return out
