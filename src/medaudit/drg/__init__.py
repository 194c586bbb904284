"""CHS-DRG 1.1 grouping (分组) of inpatient stays, driven by the national tables as data."""

from medaudit.drg.grouper import FAIL, OK, QY, UNGROUPED, DrgResult, Grouper, Stay
from medaudit.drg.tables import GrouperTables, grouper_dir, load_tables

__all__ = ["FAIL", "OK", "QY", "UNGROUPED", "DrgResult", "Grouper", "GrouperTables", "Stay", "grouper_dir",
           "load_tables", "default_grouper"]


def default_grouper() -> Grouper:
    """The grouper on the configured tables, with the 医保版 code-validity check when the full lists exist."""
    from medaudit.drg.service import default_grouper as _d

    return _d()
