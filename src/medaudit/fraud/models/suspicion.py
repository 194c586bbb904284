"""Provider suspicion index (机构可疑指数): one number per institution from rules and models.

``S = Σ_k w_k · r_k / Σ_k w_k`` where ``r_k`` is the institution's percentile rank, among
institutions of the same type, on indicator k (0 when it has none):

* ``findings``  — rule-finding amount / fund paid to the institution;
* ``clues``     — amount at risk in other models' clues naming the institution / fund paid;
* ``models``    — number of distinct models with a clue on the institution (or its patients).

The weights ``w_k`` are parameters (pack-layered). Institutions with no signal at all get S = 0 and
no clue; every other institution gets one, so the index ranks the whole region.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from medaudit.fraud.model import Clue, FraudModel, ModelSpec, Param, ScoringContext
from medaudit.fraud.registry import register
from medaudit.fraud.stats import percentile_rank

from .common import yuan

FUND = """
SELECT fixmedins_code, MAX(fixmedins_type) AS fixmedins_type, MAX(medins_admdvs) AS medins_admdvs,
       CAST(SUM(fund_pay_fen) AS BIGINT) AS fund_pay_fen, COUNT(*) AS n_visits
FROM enc_ctx GROUP BY fixmedins_code
"""


def index_weights(params: dict[str, Any]) -> dict[str, float]:
    return {"findings": float(params["w_findings"]), "clues": float(params["w_clues"]),
            "models": float(params["w_models"])}


@register
class SuspicionIndex(FraudModel):
    spec: ClassVar[ModelSpec] = ModelSpec(
        id="suspicion_index", name="机构可疑指数", version=1, subject_type="institution",
        logic="S = Σ w_k·r_k / Σ w_k；r_k 为机构在同类型机构中的百分位：规则疑点金额/基金支付、"
              "其他模型线索涉及金额/基金支付、涉及的模型数。权重为模型参数。",
        features="每家机构：基金支付、就诊次数；规则疑点（findings）与其他模型线索（clues）按机构汇总。",
        lookalikes="规模大的机构（指标按基金支付归一，且只与同类型机构排位）。",
        narrative="{fixmedins_code}可疑指数{index}：规则疑点金额占基金{findings_pct}%（同类第{findings_rank}百分位），"
                  "模型线索金额占{clues_pct}%，涉及{n_models}个模型，基金支付{fund_yuan}元。",
        score="S 本身（已在[0,1]内）",
        params=[
            Param(name="w_findings", default=0.4, zh="规则疑点金额占比的权重"),
            Param(name="w_clues", default=0.4, zh="模型线索金额占比的权重"),
            Param(name="w_models", default=0.2, zh="涉及模型数的权重"),
        ])
    features: ClassVar[list[tuple[str, str]]] = [("fund", FUND)]

    def score(self, feats: dict[str, pa.Table], params: dict[str, Any], context: ScoringContext) -> list[Clue]:
        rows = feats["fund"].to_pylist()
        if not rows:
            return []
        f_amt: dict[str, int] = defaultdict(int)
        if context.findings is not None and context.findings.num_rows:
            for code, amt in zip(context.findings.column("fixmedins_code").to_pylist(),
                                 context.findings.column("amount_fen").to_pylist(), strict=True):
                f_amt[code] += int(amt or 0)
        c_amt: dict[str, int] = defaultdict(int)
        c_models: dict[str, set[str]] = defaultdict(set)
        if context.clues is not None and context.clues.num_rows:
            for code, amt, mid in zip(context.clues.column("fixmedins_code").to_pylist(),
                                      context.clues.column("amount_fen").to_pylist(),
                                      context.clues.column("model_id").to_pylist(), strict=True):
                if code:
                    c_amt[code] += int(amt or 0)
                    c_models[code].add(mid)
        ind = {
            "findings": np.array([f_amt[r["fixmedins_code"]] / max(r["fund_pay_fen"] or 0, 1) for r in rows]),
            "clues": np.array([c_amt[r["fixmedins_code"]] / max(r["fund_pay_fen"] or 0, 1) for r in rows]),
            "models": np.array([len(c_models[r["fixmedins_code"]]) for r in rows], dtype=float),
        }
        types = np.array([str(r["fixmedins_type"]) for r in rows])
        ranks = {k: np.zeros(len(rows)) for k in ind}
        for t in np.unique(types):
            m = types == t
            for k, x in ind.items():
                r = percentile_rank(x[m])
                ranks[k][m] = np.where(x[m] > 0, r, 0.0)
        w = index_weights(params)
        total = sum(w.values()) or 1.0
        out = []
        for i, r in enumerate(rows):
            s = sum(w[k] * ranks[k][i] for k in w) / total
            if s <= 0:
                continue
            code = r["fixmedins_code"]
            figures = {"fixmedins_code": code, "index": round(float(s), 3),
                       "findings_pct": round(100 * float(ind["findings"][i]), 2),
                       "findings_rank": round(100 * float(ranks["findings"][i])),
                       "clues_pct": round(100 * float(ind["clues"][i]), 2), "n_models": int(ind["models"][i]),
                       "fund_yuan": yuan(int(r["fund_pay_fen"] or 0)), "weights": w}
            amount = f_amt[code] + c_amt[code]
            out.append(Clue([code], float(s), amount, self.spec.narrative.format(**figures), figures,
                            fixmedins_code=code, medins_admdvs=r["medins_admdvs"]))
        return out
