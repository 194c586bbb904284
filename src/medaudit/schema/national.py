"""The one national ↔ canonical field mapping, derived from the column specs.

Ingest (header matching), export (the centre-table layout) and the API (3101/3102 DTO fields, both
directions) all name national fields through this module; none keeps its own table of names. A
column's names are declared once, in :mod:`medaudit.schema.tables`: ``national`` for the centre
tables (the first one is the export header), ``interface`` for the 3101/3102 DTOs where those differ.
"""

from __future__ import annotations

from .columns import Column
from .tables import TABLES

#: centre-table fields that feed a column of another table through a *join* rather than a header of
#: its own: MDTRT_D carries the institution's region (``institutions.admdvs``, fix_blng_admdvs), which
#: is the encounter's medins_admdvs.
JOIN_DERIVED: dict[str, dict[str, tuple[str, ...]]] = {
    "encounters": {"medins_admdvs": TABLES["institutions"].column("admdvs").national[:1]},
}

#: the centre tables (DOMAIN.md §3.7) as exported: source table and the columns in file order, each
#: ``column`` of the source table or ``table.column`` joined to it (MDTRT_D carries the patient and
#: the institution). Names come from the specs (:func:`centre_name`); a few fields are not canonical
#: columns at all and are named here as they are: CONSTANT_FIELDS.
CENTRE_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "MDTRT_D": ("encounters", (
        "mdtrt_id", "psn_no", "patients.psn_name", "patients.certno", "patients.gend", "patients.brdy", "insutype",
        "psn_admdvs", "fixmedins_code", "institutions.fixmedins_name", "institutions.hosp_lv", "medins_admdvs",
        "adm_time", "dscg_time", "med_type", "dept_code", "dept_name", "chfpdr_code", "dscg_maindiag_code",
        "dise_no", "patients.die_date", "dscg_way")),
    "SETL_D": ("encounters", (
        "setl_id", "mdtrt_id", "psn_no", "insutype", "fixmedins_code", "med_type", "setl_time", "medfee_sumamt_fen",
        "fund_pay_fen", "psn_pay_fen", "refd_setl_flag", "vali_flag")),
    "FEE_LIST_D": ("fee_lines", (
        "line_id", "mdtrt_id", "fee_ocur_time", "hilist_code", "hilist_name", "med_chrgitm_type", "cnt_milli",
        "pric_fen", "amt_fen", "bilg_dept_code", "bilg_dr_code", "acord_dept_code", "spec", "prd_days",
        "drug_trac_codg", "trdn_flag", "init_line_id", "drord_bhvr",
        # columns the national table lacks travel under their canonical names (docs/ingest.md)
        "daily_dose_milli", "dose_unit", "selfpay_flag", "refund_flag", "unit")),
    "SETL_LIST_DIAG_D": ("diagnoses", ("mdtrt_id", "diag_code", "diag_name", "maindiag_flag", "diag_type")),
    "SETL_LIST_OPRN_D": ("operations", (
        "mdtrt_id", "oprn_code", "oprn_name", "main_oprn_flag", "oprn_time", "oper_dr_code")),
}
#: SETL_D fields with no canonical column: a settlement exported by medaudit is valid and not refunded
CONSTANT_FIELDS: dict[str, str] = {"refd_setl_flag": "0", "vali_flag": "1"}
#: FEE_LIST_D columns exported under their canonical name although the spec knows a national one:
#: medaudit's own export keeps the canonical unit column the way it always wrote it
CANONICAL_HEADER: frozenset[tuple[str, str]] = frozenset({("fee_lines", "unit")})


#: the canonical columns each 3101/3102 DTO carries (``api.dto`` writes them, ``api.mapping`` reads
#: them, ``api.models`` documents them), by the DTO names of DOMAIN.md §3.2; the field names are the
#: columns' interface names. Fields with no canonical column (trig_scen, out_setl_flag, ma_amt …) are
#: 3101-only and stay in the API modules.
DTO_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "PatientDTO": ("patients", ("psn_no", "psn_name", "gend", "brdy", "insu_admdvs")),
    "EncounterDTO": ("encounters", (
        "mdtrt_id", "fixmedins_code", "institutions.fixmedins_name", "medins_admdvs", "institutions.fixmedins_type",
        "institutions.hosp_lv", "adm_time", "dscg_time", "setl_time", "dscg_maindiag_code", "med_type", "insutype",
        "dept_code", "dept_name", "chfpdr_code", "dise_no", "dscg_way", "medfee_sumamt_fen", "fund_pay_fen",
        "psn_pay_fen")),
    "OrderDTO": ("fee_lines", (
        "line_id", "hilist_code", "hilist_name", "med_chrgitm_type", "cnt_milli", "pric_fen", "amt_fen", "unit", "spec",
        "bilg_dr_code", "bilg_dept_code", "acord_dept_code", "fee_ocur_time", "prd_days", "drug_trac_codg",
        "trdn_flag", "drord_bhvr", "selfpay_flag", "staff.dept_name", "staff.profttl")),
    "DiagnoseDTO": ("diagnoses", ("diag_code", "diag_name", "maindiag_flag", "diag_type")),
    "OperationDTO": ("operations", ("oprn_code", "oprn_name", "main_oprn_flag", "oprn_time", "oper_dr_code")),
}


def dto_columns(dto: str, *, own: bool = False) -> list[tuple[str, Column]]:
    """(table, spec) of the columns a DTO carries (``own``: only those of its own table)."""
    source, refs = DTO_COLUMNS[dto]
    cols = [ref_column(source, ref) for ref in refs]
    return [(t, c) for t, c in cols if t == source or not own]


def ref_column(source: str, ref: str) -> tuple[str, Column]:
    """``"column"`` / ``"table.column"`` of a layout → (table, its spec)."""
    table, _, name = ref.rpartition(".")
    table = table or source
    return table, TABLES[table].column(name)


def centre_name(table: str, col: Column) -> str:
    """The centre-table header of a column: its join-derived name, its first national name, else its
    canonical name (a column the national tables lack travels under that)."""
    joined = JOIN_DERIVED.get(table, {}).get(col.name)
    if joined:
        return joined[0]
    if (table, col.name) in CANONICAL_HEADER or not col.national:
        return col.name
    return col.national[0]


def centre_layout(name: str) -> tuple[str, list[tuple[str, str, Column | None]]]:
    """(source table, [(header, table, spec or None for a constant field)]) of one centre table."""
    source, refs = CENTRE_TABLES[name]
    out: list[tuple[str, str, Column | None]] = []
    for ref in refs:
        if ref in CONSTANT_FIELDS:
            out.append((ref, source, None))
            continue
        table, col = ref_column(source, ref)
        out.append((centre_name(table, col), table, col))
    return source, out


def interface_names(col: Column) -> tuple[str, ...]:
    """The 3101/3102 DTO fields that carry a column, in reading order (the first is written)."""
    return col.interface or col.national[:1]


def interface_field(table: str, column: str) -> str:
    """The 3101/3102 DTO field a canonical column is sent in (``encounters.adm_time`` → ``adm_date``)."""
    names = interface_names(TABLES[table].column(column))
    if not names:
        raise KeyError(f"{table}.{column} has no national name")
    return names[0]


def national_columns(table: str) -> dict[str, str]:
    """Every national name (centre table, interface, join-derived) of a table → its canonical column;
    the first declaration wins, as in ingest's header matching."""
    out: dict[str, str] = {}
    t = TABLES[table]
    for col in t.columns:
        for n in col.national:
            out.setdefault(n, col.name)
    for col_name, names in JOIN_DERIVED.get(table, {}).items():
        for n in names:
            out.setdefault(n, col_name)
    for col in t.columns:
        for n in col.interface:
            out.setdefault(n, col.name)
    return out
