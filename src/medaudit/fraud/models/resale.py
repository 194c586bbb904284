"""医保药品倒卖 / 回流药: persons buying a drug far beyond what one person can take.

Days of supply summed over every purchase of one drug, across institutions and pharmacies, are
compared with the days the data covers: a chronic patient refilling on schedule stays near 1, a
reseller buys years of supply in months. The bar is the larger of a plausibility bound (``min_ratio``)
and the drug's own buyers (robust z of the log ratio among people buying the same drug), so a drug
that is commonly stocked up (e.g. 90-day chronic prescriptions) raises its own bar. The number of
purchases must be an outlier among the drug's buyers too: a few long prescriptions are not resale.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from medaudit.fraud.model import Clue, FraudModel, ModelSpec, Param, ScoringContext
from medaudit.fraud.registry import register
from medaudit.fraud.stats import grouped_robust_z, squash

from .common import PERIOD_SQL, group_ids, period_days, yuan

_BUY_FILTER = """l.is_drug AND l.visit_type IN ('outpatient', 'chronic', 'pharmacy', 'emergency')
  AND l.prd_days > 0 AND NOT l.selfpay_flag"""

BUYS = f"""
SELECT l.psn_no, COALESCE(l.drug_prefix, l.hilist_code) AS drug_key, MIN(l.hilist_name) AS drug_name,
       CAST(SUM(l.prd_days) AS BIGINT) AS days_supplied,
       COUNT(DISTINCT l.mdtrt_id) AS n_enc, COUNT(DISTINCT l.fixmedins_code) AS n_inst,
       CAST(SUM(l.amt_fen) AS BIGINT) AS amt_fen, MIN(l.fee_dn) AS first_dn, MAX(l.fee_dn) AS last_dn
FROM line_ctx l
WHERE {_BUY_FILTER}
GROUP BY l.psn_no, COALESCE(l.drug_prefix, l.hilist_code)
"""

#: person × drug combinations supplied for longer than the period: the only ones that can be flagged
CANDIDATES = """
SELECT b.psn_no, b.drug_key FROM buys b CROSS JOIN period p WHERE b.days_supplied > p.period_days
"""

LINES = f"""
SELECT c.psn_no, c.drug_key, l.mdtrt_id, l.line_id, l.fixmedins_code, e.medins_admdvs
FROM line_ctx l
JOIN candidates c ON c.psn_no = l.psn_no AND c.drug_key = COALESCE(l.drug_prefix, l.hilist_code)
JOIN enc_ctx e ON e.mdtrt_id = l.mdtrt_id
WHERE {_BUY_FILTER}
"""

#: boxes whose traceability code was settled on more than one line (拆零 lines excepted)
DUP_TRACE = """
SELECT l.psn_no, COUNT(*) AS dup_boxes
FROM trace_boxes b
JOIN line_ctx l ON l.line_id = b.line_id
JOIN (SELECT b2.trace_code FROM trace_boxes b2 JOIN line_ctx l2 ON l2.line_id = b2.line_id
      WHERE NOT l2.trdn_flag GROUP BY b2.trace_code HAVING COUNT(DISTINCT b2.line_id) > 1) d
  ON d.trace_code = b.trace_code
WHERE NOT l.trdn_flag
GROUP BY l.psn_no
"""


@register
class DrugResale(FraudModel):
    spec: ClassVar[ModelSpec] = ModelSpec(
        id="drug_resale", name="医保药品倒卖/回流药", version=1, subject_type="patient",
        logic="同一参保人同一药品在统计期内跨机构、跨药店累计供药天数远超统计期天数（远超临床合理用量），"
              "且供药天数与购药次数均显著高于同药品其他购药人（稳健z值）；轮换机构购药、与其他可疑购药人共用药店、追溯码重复结算加重评分。",
        features="每人每药：累计供药天数、就诊次数、机构数、金额、首末购药日；统计期天数；追溯码重复盒数；购药机构。",
        lookalikes="按时续方的慢性病患者（供药天数/统计期≈1）；常规长处方药品（同药品购药人整体偏高，阈值随之升高）。",
        narrative="参保人{psn_no}在{period_days}天内购买【{drug_name}】累计供药{days_supplied}天，"
                  "为统计期的{ratio}倍，涉及{n_inst}家机构{n_enc}次购药{extra}，涉及金额{amount_yuan}元。",
        score="0.6·s(倍数−1, 2) + 0.15·s(机构数−1, 2) + 0.15·[追溯码重复] + 0.1·[与可疑购药人共用机构]，s(x,h)=x/(x+h)",
        params=[
            Param(name="min_ratio", default=2.0, zh="累计供药天数/统计期天数的最低倍数（合理用量上限）"),
            Param(name="z_min", default=3.0, zh="同药品购药人中对数倍数、对数购药次数的稳健z值下限"),
            Param(name="min_buyers", type="int", default=5, zh="同药品购药人不少于此数才按药品分组比较"),
        ])
    features: ClassVar[list[tuple[str, str]]] = [
        ("period", PERIOD_SQL), ("buys", BUYS), ("candidates", CANDIDATES), ("lines", LINES),
        ("dup_trace", DUP_TRACE),
    ]

    def score(self, feats: dict[str, pa.Table], params: dict[str, Any], context: ScoringContext) -> list[Clue]:
        period = period_days(feats["period"])
        buys = feats["buys"]
        if buys.num_rows == 0:
            return []
        b = {c: buys.column(c).to_pylist() for c in buys.column_names}
        ratio = np.array(b["days_supplied"], dtype=float) / period
        z = grouped_robust_z(np.log(np.maximum(ratio, 1e-6)), b["drug_key"], int(params["min_buyers"]), floor=0.05)
        # buying far more often than the drug's other buyers (rotating purchases), not one long prescription
        zc = grouped_robust_z(np.log(np.array(b["n_enc"], dtype=float)), b["drug_key"], int(params["min_buyers"]),
                              floor=0.5)  # one unit ≈ ×1.65 purchases: 3 buys vs 1 is not an outlier
        zmin = float(params["z_min"])
        hit = np.flatnonzero((ratio >= float(params["min_ratio"])) & (z >= zmin) & (zc >= zmin))
        lines = group_ids(feats["lines"], "psn_no", "drug_key", "mdtrt_id", "line_id", "fixmedins_code",
                          "medins_admdvs")
        dup = dict(zip(feats["dup_trace"].column("psn_no").to_pylist(),
                       feats["dup_trace"].column("dup_boxes").to_pylist(), strict=True))
        # places each flagged buyer used for each flagged drug: shared places link buyers
        places: dict[tuple[str, str], set[str]] = {}
        for i in hit.tolist():
            psn, drug = b["psn_no"][i], b["drug_key"][i]
            rows = lines.get(psn, {"drug_key": [], "fixmedins_code": []})
            places[(psn, drug)] = {f for d, f in zip(rows["drug_key"], rows["fixmedins_code"], strict=True) if d == drug}
        by_place: dict[tuple[str, str], set[str]] = defaultdict(set)
        for (psn, drug), fs in places.items():
            for f in fs:
                by_place[(drug, f)].add(psn)
        best: dict[str, Clue] = {}
        for i in hit.tolist():
            psn, drug = b["psn_no"][i], b["drug_key"][i]
            r = float(ratio[i])
            shared = {p for f in places[(psn, drug)] for p in by_place[(drug, f)]} - {psn}
            n_dup = int(dup.get(psn, 0) or 0)
            s = (0.6 * squash(r - 1, 2) + 0.15 * squash(b["n_inst"][i] - 1, 2) + 0.15 * (n_dup > 0)
                 + 0.1 * (len(shared) > 0))
            rows = lines.get(psn, {k: [] for k in ("drug_key", "mdtrt_id", "line_id", "fixmedins_code", "medins_admdvs")})
            keep = [k for k, d in enumerate(rows["drug_key"]) if d == drug]
            amount = int(round(b["amt_fen"][i] * (1 - 1 / r)))
            extra = []
            if n_dup:
                extra.append(f"，{n_dup}盒追溯码重复结算")
            if shared:
                extra.append(f"，与{len(shared)}名可疑购药人共用购药机构")
            figures = {"psn_no": psn, "drug_name": b["drug_name"][i], "drug_key": drug, "period_days": period,
                       "days_supplied": b["days_supplied"][i], "ratio": round(r, 1), "z": round(float(z[i]), 2), "z_purchases": round(float(zc[i]), 2),
                       "n_inst": b["n_inst"][i], "n_enc": b["n_enc"][i], "dup_boxes": n_dup,
                       "shared_buyers": len(shared), "amount_yuan": yuan(amount)}
            narrative = self.spec.narrative.format(**figures, extra="".join(extra))
            insts = [rows["fixmedins_code"][k] for k in keep]
            clue = Clue([psn], min(1.0, s), amount, narrative, figures,
                        [rows["mdtrt_id"][k] for k in keep], [rows["line_id"][k] for k in keep],
                        fixmedins_code=max(set(insts), key=insts.count) if insts else None,
                        medins_admdvs=rows["medins_admdvs"][keep[0]] if keep else None)
            if psn not in best or clue.score > best[psn].score:
                if psn in best:  # the person's other flagged drugs add to the amount at risk
                    clue.amount_fen += best[psn].amount_fen
                best[psn] = clue
            else:
                best[psn].amount_fen += amount
        return list(best.values())

