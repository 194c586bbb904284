"""The CHS-DRG 1.1 grouping logic, read from the national tables (never written into code).

The tables live in ``<reference data>/opendrg-chs-drg-1.1/grouper/`` (``MEDAUDIT_REFERENCE_DATA``,
see :func:`medaudit.settings.reference_dir`); ``CC.dat``, ``MCC.dat``, ``CCE.dat`` and the 医保版
code lists sit in the parent folder. A version change is a new folder, not a code change.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from medaudit.errors import InputError
from medaudit.settings import reference_dir

GROUPER_FILES = ("mdc.tsv", "mdc_main_dx.tsv", "mdc_steps.tsv", "adrg.tsv", "adrg_codes.tsv", "drg.tsv",
                 "SS_VALID.dat")
SPLIT_FILES = ("CC.dat", "MCC.dat", "CCE.dat")


@dataclass(frozen=True)
class Step:
    kind: str  # "adrg" or "qy_if_any_valid_proc"
    code: str
    active: bool


@dataclass(frozen=True)
class Adrg:
    code: str
    terms: tuple[str, ...]
    zd: frozenset[str]
    ss: frozenset[str]
    ss1: frozenset[str]
    #: procedure code -> group number for ``proc_groups(...)`` (first occurrence decides)
    proc_group: dict[str, str]
    #: (drg, split) in the order tried
    drgs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Mdc:
    code: str
    entry: str
    main_dx: frozenset[str]
    #: MDC Z only: diagnosis -> body region
    region: dict[str, str]
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class GrouperTables:
    folder: Path
    mdcs: tuple[Mdc, ...]
    adrgs: dict[str, Adrg]
    valid_proc: frozenset[str]
    mcc: dict[str, str]
    cc: dict[str, str]
    cce: dict[str, str]
    drg_names: dict[str, str]


def grouper_dir(ref_dir: Path | None = None) -> Path:
    return (ref_dir or reference_dir()) / "grouper"


def _tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh, delimiter="\t")]


def _dat(path: Path) -> dict[str, str]:
    """``CODE VALUE`` lines; the first occurrence of a code wins."""
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        parts = line.split(None, 1)
        if parts:
            out.setdefault(parts[0], parts[1].strip() if len(parts) > 1 else "")
    return out


def _check(folder: Path, parent: Path) -> None:
    missing = [str(folder / f) for f in GROUPER_FILES if not (folder / f).is_file()]
    missing += [str(parent / f) for f in SPLIT_FILES if not (parent / f).is_file()]
    if missing:
        raise InputError("未找到 CHS-DRG 1.1 分组表，请设置 MEDAUDIT_REFERENCE_DATA / grouper tables not found: "
                         + ", ".join(missing))


@lru_cache(maxsize=4)
def _load(folder: Path) -> GrouperTables:
    parent = folder.parent
    _check(folder, parent)
    main_dx: dict[str, set[str]] = {}
    region: dict[str, dict[str, str]] = {}
    for r in _tsv(folder / "mdc_main_dx.tsv"):
        main_dx.setdefault(r["mdc"], set()).add(r["dx_code"])
        if r.get("body_region"):
            region.setdefault(r["mdc"], {}).setdefault(r["dx_code"], r["body_region"])
    steps: dict[str, list[tuple[int, Step]]] = {}
    for r in _tsv(folder / "mdc_steps.tsv"):
        steps.setdefault(r["mdc"], []).append((int(r["step"]), Step(r["kind"], r["code"], r["active"] == "1")))
    codes: dict[tuple[str, str], set[str]] = {}
    groups: dict[str, dict[str, str]] = {}
    for r in _tsv(folder / "adrg_codes.tsv"):
        codes.setdefault((r["adrg"], r["list"]), set()).add(r["code"])
        if r.get("proc_group"):
            groups.setdefault(r["adrg"], {}).setdefault(r["code"], r["proc_group"])
    drgs: dict[str, list[tuple[int, str, str]]] = {}
    for r in _tsv(folder / "drg.tsv"):
        drgs.setdefault(r["adrg"], []).append((int(r["order"]), r["drg"], r["split"]))
    adrgs = {
        r["adrg"]: Adrg(
            r["adrg"], tuple(t.strip() for t in r["condition"].split("&")),
            frozenset(codes.get((r["adrg"], "zd"), ())), frozenset(codes.get((r["adrg"], "ss"), ())),
            frozenset(codes.get((r["adrg"], "ss1"), ())), groups.get(r["adrg"], {}),
            tuple((d, s) for _, d, s in sorted(drgs.get(r["adrg"], []))))
        for r in _tsv(folder / "adrg.tsv")
    }
    mdcs = tuple(
        Mdc(r["mdc"], r["entry"], frozenset(main_dx.get(r["mdc"], ())), region.get(r["mdc"], {}),
            tuple(s for _, s in sorted(steps.get(r["mdc"], []), key=lambda x: x[0])))
        for r in sorted(_tsv(folder / "mdc.tsv"), key=lambda r: int(r["order"]))
    )
    names = _dat(parent / "DRG.dat") if (parent / "DRG.dat").is_file() else {}
    return GrouperTables(folder, mdcs, adrgs, frozenset(_dat(folder / "SS_VALID.dat")), _dat(parent / "MCC.dat"),
                         _dat(parent / "CC.dat"), _dat(parent / "CCE.dat"), names)


def load_tables(folder: Path | None = None) -> GrouperTables:
    return _load((folder or grouper_dir()).resolve())
