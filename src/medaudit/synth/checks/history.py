"""The checker's statement of the cross-encounter history rules (重复开药/超量持有 …).

Stated over the whole region (every encounter of the patient, any institution), as the rule SQL reads
the patient's history; see docs/rule-semantics.md for the pinned semantics.
"""

from __future__ import annotations

from collections import defaultdict

from .. import checker
from ..checker import Line, Params, Visit
from ..kb import KB

#: repeat_prescription: days left from earlier dispensings a new dispensing may meet (template default)
MAX_OVERLAP_DAYS = 7


def is_dispensing(visit_type: str, ln: Line) -> bool:
    """A drug line the patient takes home: any non-inpatient line, or discharge medication; with days."""
    d = ln.drug
    return (d is not None and bool(d.ingredient) and ln.prd_days is not None and ln.prd_days > 0
            and (visit_type != "inpatient" or ln.drord == "1"))


def days_left(earlier: list[tuple[int, int, str, Line]], b: tuple[int, int, str, Line]) -> int:
    """Days still covered at b's fee day by the dispensings before b (fee time, then seq) of OTHER encounters."""
    tb, sb, kb_, ln = b
    return sum(a.day + (a.prd_days or 0) - ln.day for ta, sa, ka, a in earlier
               if ka != kb_ and (ta, sa) < (tb, sb) and a.day + (a.prd_days or 0) > ln.day)


def repeat_prescription(kb: KB, visits: list[Visit], params: Params) -> set[tuple[str, str, int]]:
    tol = params.get("max_overlap_days", MAX_OVERLAP_DAYS)
    groups: dict[tuple[str, str], list[tuple[int, int, str, Line]]] = defaultdict(list)
    for v in visits:
        for ln in v.lines:
            if is_dispensing(v.ctx.visit_type, ln):
                assert ln.drug is not None and ln.drug.ingredient
                groups[(v.psn, ln.drug.ingredient)].append((ln.t, ln.seq, v.key, ln))
    out: set[tuple[str, str, int]] = set()
    for group in groups.values():
        if len(group) < 2:
            continue
        for b in group:
            if not b[3].selfpay and days_left(group, b) > tol:
                out.add(("repeat_prescription", b[2], b[3].seq))
    return out


checker.REGION_CHECKS.append(repeat_prescription)
checker.SCOPE["repeat_prescription"] = None


#: card_two_places: minutes two settlements in different regions must at least be apart (template default)
MIN_MINUTES = 60


def card_two_places(kb: KB, visits: list[Visit], params: Params) -> set[tuple[str, str, int]]:
    """冒名就医: a settlement less than min_minutes (to the minute) after one at another institution in
    another region (order: settlement time to the second, then encounter id)."""
    lim = params.get("min_minutes", MIN_MINUTES)
    by_psn: dict[str, list[tuple[int, str, Visit]]] = defaultdict(list)
    for v in visits:
        t, where = v.ctx.attrs.get("setl_t"), v.ctx.attrs.get("medins_admdvs")
        if t is not None and where:
            by_psn[v.psn].append((int(t), v.key, v))
    out: set[tuple[str, str, int]] = set()
    for own in by_psn.values():
        for tb, kb_, b in own:
            if any((ta, ka) < (tb, kb_) and a.inst != b.inst
                   and a.ctx.attrs["medins_admdvs"] != b.ctx.attrs["medins_admdvs"] and tb // 60 - ta // 60 < lim
                   for ta, ka, a in own):
                out.add(("card_two_places", kb_, -1))
    return out


checker.REGION_CHECKS.append(card_two_places)
checker.SCOPE["card_two_places"] = None
