"""Hand-made regions for the fraud-model tests: a small background plus the cases a test states."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from medaudit.fraud.model import ScoringContext
from medaudit.fraud.registry import all_models, load_fraud_pack
from medaudit.fraud.runner import compute_features, prepare_claims
from medaudit.schema import TABLES
from medaudit.schema.rows import rows_to_table

DAY0 = dt.datetime(2025, 1, 1)


@dataclass
class Region:
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {name: [] for name in TABLES})
    _n: int = 0

    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n:06d}"

    def patient(self, psn: str | None = None) -> str:
        psn = psn or self._id("P")
        self.rows["patients"].append({"psn_no": psn, "gend": "1", "brdy": "1960-05-01", "insutype": "310",
                                      "insu_admdvs": "440100"})
        return psn

    def institution(self, code: str | None = None, kind: str = "hospital", level: int = 2,
                    admdvs: str = "440100") -> str:
        code = code or self._id("P" if kind == "pharmacy" else "H")
        self.rows["institutions"].append({"fixmedins_code": code, "fixmedins_name": code, "fixmedins_type": kind,
                                          "medins_lv": 0 if kind == "pharmacy" else level, "admdvs": admdvs})
        return code

    def visit(self, psn: str, inst: str, day: int, minute: int = 9 * 60, vt: str = "outpatient", los: int = 0,
              lines: list[dict[str, Any]] | None = None, admdvs: str = "440100") -> str:
        """An encounter ``day`` days after 2025-01-01 at ``minute`` past midnight; lines default to one drug."""
        e = self._id("E")
        start = DAY0 + dt.timedelta(days=day, minutes=minute)
        end = start + dt.timedelta(days=los, minutes=10)
        med = {"outpatient": "11", "chronic": "14", "inpatient": "21", "pharmacy": "41"}[vt]
        total = 0
        for ln in lines or [{}]:
            row = {"mdtrt_id": e, "line_id": self._id("L"), "hilist_code": "XA01", "hilist_name": "阿莫西林",
                   "med_chrgitm_type": "09", "cnt_milli": 1000, "pric_fen": 1000,
                   "fee_ocur_time": start + dt.timedelta(minutes=1), **ln}
            row.setdefault("amt_fen", int(row["cnt_milli"]) * int(row["pric_fen"]) // 1000)
            if isinstance(row["fee_ocur_time"], int):  # a day offset within a stay
                row["fee_ocur_time"] = start + dt.timedelta(days=row["fee_ocur_time"], hours=1)
            total += int(row["amt_fen"])
            self.rows["fee_lines"].append(row)
        self.rows["encounters"].append({
            "mdtrt_id": e, "psn_no": psn, "fixmedins_code": inst, "med_type": med, "visit_type": vt,
            "adm_time": start, "dscg_time": end, "psn_admdvs": "440100", "medins_admdvs": admdvs, "insutype": "310",
            "setl_time": end, "medfee_sumamt_fen": total, "fund_pay_fen": total * 7 // 10,
            "psn_pay_fen": total - total * 7 // 10})
        return e

    def tables(self) -> dict[str, pa.Table]:
        return {name: rows_to_table(TABLES[name], rows) for name, rows in self.rows.items()}


def features(region: Region, model_id: str, backend_name: str = "duckdb", spark: Any = None) -> dict[str, pa.Table]:
    return features_of(region, [model_id], backend_name, spark)[model_id]


def features_of(region: Region, model_ids: list[str], backend_name: str = "duckdb",
                spark: Any = None) -> dict[str, dict[str, pa.Table]]:
    """Feature tables of several models over one preparation of the claims (as `medaudit detect` runs
    them): on Spark, loading the knowledge and the claims is most of the cost."""
    from medaudit.engine.backends import get_backend
    from medaudit.knowledge import default_knowledge

    backend: Any
    if backend_name == "spark":
        from medaudit.engine.backends.spark import SparkBackend

        backend = SparkBackend(spark=spark, cache=len(model_ids) > 1)
    else:
        backend = get_backend("duckdb")
    try:
        prepare_claims(backend, region.tables(), default_knowledge())
        return {mid: compute_features(backend, mid) for mid in model_ids}
    finally:
        backend.close()


def clues(region: Region, model_id: str, context: ScoringContext | None = None,
          **params: Any) -> list[Any]:
    cls = all_models()[model_id]
    p = {**load_fraud_pack().params(model_id), **params}
    return cls().score(features(region, model_id), p, context or ScoringContext())
