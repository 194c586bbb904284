"""Independent label checks of the stay-line rules: 费用日期不在就诊期间, 费用集中上传, 项目超住院天数.

Read from the written tables only (fee times, admission and discharge times, the knowledge rows),
never from the generator's checker. National pack parameters: min_los_days 3, min_lines 5,
count_both_ends 0.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import label_check, label_offset

MIN_LOS_DAYS, MIN_LINES = 3, 5


def _minute(ts: dt.datetime) -> dt.datetime:
    return ts.replace(second=0, microsecond=0)


def _minutes_outside(w: Any, lab: dict[str, Any]) -> int:
    """Minutes the labelled line lies beyond the stay (after discharge or before admission); ≤ 0 inside."""
    e, ln = w.enc[lab["mdtrt_id"]], w.lines[lab["line_id"]]
    fee = _minute(ln["fee_ocur_time"])
    assert fee.time() != dt.time(0, 0)  # a timed line: compared to the minute
    after = (fee - _minute(e["dscg_time"])) // dt.timedelta(minutes=1)
    before = (_minute(e["adm_time"]) - fee) // dt.timedelta(minutes=1)
    return int(max(after, before))


@label_check("fee_outside_stay")
def _fee_outside_stay(w: Any, lab: dict[str, Any]) -> None:
    e, ln = w.enc[lab["mdtrt_id"]], w.lines[lab["line_id"]]
    assert e["visit_type"] == "inpatient" and ln["mdtrt_id"] == e["mdtrt_id"]
    assert _minutes_outside(w, lab) >= 1
    assert lab["amount_fen"] == ln["amt_fen"]


@label_offset("fee_outside_stay")
def _fee_outside_stay_offset(w: Any, lab: dict[str, Any]) -> int:
    return _minutes_outside(w, lab)


def _los(e: dict[str, Any]) -> int:
    return int((e["dscg_time"].date() - e["adm_time"].date()).days)


def _ordered(w: Any, mdtrt_id: str) -> list[dict[str, Any]]:
    return sorted(w.by_enc[mdtrt_id], key=lambda o: (o["fee_ocur_time"], o["line_id"]))


@label_check("fee_bulk_upload")
def _fee_bulk_upload(w: Any, lab: dict[str, Any]) -> None:
    e = w.enc[lab["mdtrt_id"]]
    lines = _ordered(w, e["mdtrt_id"])
    assert e["visit_type"] == "inpatient" and _los(e) >= MIN_LOS_DAYS and len(lines) >= MIN_LINES
    assert len({o["fee_ocur_time"].date() for o in lines}) == 1
    assert lines[0]["line_id"] == lab["line_id"]
    assert lab["amount_fen"] == sum(o["amt_fen"] for o in lines)


@label_offset("fee_bulk_upload")
def _fee_bulk_upload_offset(w: Any, lab: dict[str, Any]) -> int:
    """Fires at one fee date and LOS ≥ 3: two dates (or LOS 2) is 0, one date over three days 1."""
    e = w.enc[lab["mdtrt_id"]]
    days = len({o["fee_ocur_time"].date() for o in w.by_enc[e["mdtrt_id"]]})
    return min(2 - days, _los(e) - MIN_LOS_DAYS + 1)


def _los_group(w: Any, lab: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """The labelled line's group in billing order (all beds together, else its item) and the units allowed."""
    e, ln = w.enc[lab["mdtrt_id"]], w.lines[lab["line_id"]]
    it = w.item(ln)
    assert it is not None and it["unit"] in ("日", "小时")

    def bed(o: dict[str, Any]) -> bool:
        oi = w.item(o)
        return o["med_chrgitm_type"] == "01" and oi is not None and oi["unit"] == "日"

    if bed(ln):
        group = [o for o in _ordered(w, e["mdtrt_id"]) if bed(o)]
    else:
        group = [o for o in _ordered(w, e["mdtrt_id"])
                 if (oi := w.item(o)) is not None and oi["code_prefix"] == it["code_prefix"]]
    los = _los(e)
    return group, ((los + 1) * 24 if it["unit"] == "小时" else max(los, 1))


@label_check("item_over_los")
def _item_over_los(w: Any, lab: dict[str, Any]) -> None:
    ln = w.lines[lab["line_id"]]
    assert w.enc[lab["mdtrt_id"]]["visit_type"] == "inpatient"
    group, allowed = _los_group(w, lab)
    k = next(i for i, o in enumerate(group) if o["line_id"] == ln["line_id"])
    before = sum(o["cnt_milli"] for o in group[:k])
    total = sum(o["cnt_milli"] for o in group)
    assert before <= allowed * 1000 < before + ln["cnt_milli"]  # the line that first exceeds
    assert lab["amount_fen"] == (total - allowed * 1000) * ln["pric_fen"] // 1000


@label_offset("item_over_los")
def _item_over_los_offset(w: Any, lab: dict[str, Any]) -> int:
    group, allowed = _los_group(w, lab)
    return sum(o["cnt_milli"] for o in group) // 1000 - allowed
