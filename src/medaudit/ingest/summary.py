"""What ingest tells the user beyond the per-table counts: why rows were quarantined, what a master-data
gap took with it, and whether the run must fail (exit code 3) because too much was quarantined.

Shared by ``medaudit ingest`` and ``medaudit audit`` (which ingests raw exports first), so a scheduled
job fails the same way whichever command it runs.
"""

from __future__ import annotations

from medaudit.schema import TABLES
from medaudit.settings import get_settings

from .pipeline import IngestReport

#: exit code of ingest/audit when more than the configured share of a table was quarantined
EXIT_QUARANTINE = 3


def reason_lines(report: IngestReport, top: int = 3) -> list[str]:
    """Per table with quarantined rows: its share and its most frequent reasons with counts."""
    lines = []
    for name, rep in report.tables.items():
        if not rep.quarantined:
            continue
        zh = TABLES[name].zh if name in TABLES else "结算(SETL_D)"
        lines.append(f"{name} {zh}: 隔离 {rep.quarantined:,} / {rep.read:,} 行 ({rep.share_quarantined:.2%})，主要原因 / "
                     f"top reasons:")
        lines += [f"    {n:,} × {why}" for why, n in rep.top_reasons(top)]
    return lines


def share_failure(report: IngestReport, limit: float | None = None) -> str | None:
    """The one-line error for a run over the quarantine limit, or None when within it."""
    limit = get_settings().quarantine_max_share if limit is None else limit
    over = report.over_share(limit)
    if not over:
        return None
    what = "，".join(f"{t.table} {t.share_quarantined:.2%}" for t in over)
    return (f"隔离比例超过上限 {limit:.2%}（{what}），请检查隔离文件后重跑 / more than {limit:.2%} of a table "
            f"quarantined ({what}); exit code {EXIT_QUARANTINE} (MEDAUDIT_QUARANTINE_MAX_SHARE)")
