"""Peer-group outliers: institutions far from others of the same type and level.

Robust z-scores of cost per visit, drug share, test share, average stay and repeat-visit rate
within the peer group, and an IsolationForest (scikit-learn) over those z-scores for combinations
no single indicator shows. An institution is a clue when the forest puts it in the top
``contamination`` share *and* one indicator is beyond ``z_min``; the narrative names the indicators
that drive it.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
from sklearn.ensemble import IsolationForest

from medaudit.fraud.model import Clue, FraudModel, ModelSpec, Param, ScoringContext
from medaudit.fraud.registry import register
from medaudit.fraud.stats import percentile_rank, squash

from .common import yuan
from .peers import INSTITUTIONS, peer_key, peer_z

INDICATORS = ("cost_per_visit", "drug_share", "test_share", "avg_stay", "return_share")
ZH = {"cost_per_visit": "次均费用", "drug_share": "药占比", "test_share": "检查化验占比", "avg_stay": "平均住院日",
      "return_share": "7日内复诊率", "short_stay_share": "极短住院占比", "readmit_share": "15日内再入院率",
      "test_stay_share": "以检查为主住院占比"}


def describe(key: str, value: float) -> str:
    if key == "cost_per_visit":
        return f"{value / 100:,.0f}元"
    if key == "avg_stay":
        return f"{value:.1f}天"
    return f"{value * 100:.1f}%"


def excess_cost(r: dict[str, Any], rows: list[dict[str, Any]], groups: list[str], i: int) -> int:
    """Amount at risk: the fund paid above what the peer median cost per visit would have cost."""
    peers = [float(rows[j]["cost_per_visit"] or 0) for j in range(len(rows)) if groups[j] == groups[i]]
    med = float(np.median(peers)) if peers else 0.0
    cost = float(r["cost_per_visit"] or 0)
    if cost <= med or cost <= 0:
        return 0
    return int(round((r["fund_pay_fen"] or 0) * (1 - med / cost)))


@register
class PeerOutlier(FraudModel):
    spec: ClassVar[ModelSpec] = ModelSpec(
        id="peer_outlier", name="同级同类机构离群", version=1, subject_type="institution",
        logic="与同类型、同级别机构比较次均费用、药占比、检查化验占比、平均住院日、7日内复诊率的稳健z值，"
              "并以孤立森林(IsolationForest)综合判断；列出贡献最大的指标。",
        features="每家医疗机构：就诊次数、次均费用、药占比、检查化验占比、平均住院日、7日内复诊率、同级同类分组。",
        lookalikes="三级综合医院与专科医院（病例组合不同：只与同级同类比较）；就诊量很少的机构（min_visits 以下不比较）。",
        narrative="{fixmedins_code}（{peer}）与同级同类{n_peers}家机构相比：{drivers}，孤立森林异常分位{if_pct}%，"
                  "超出同级中位次均费用的基金{amount_yuan}元。",
        score="0.5·孤立森林异常分位 + 0.5·s(最大|z|−z_min+1, 3)",
        params=[
            Param(name="z_min", default=3.0, zh="至少一项指标的稳健z值超过此值"),
            Param(name="contamination", default=0.1, zh="孤立森林异常比例（分位）"),
            Param(name="min_visits", type="int", default=50, zh="就诊次数不少于此数的机构才比较"),
            Param(name="min_peers", type="int", default=5, zh="同级同类机构不少于此数才按组比较"),
        ])
    features: ClassVar[list[tuple[str, str]]] = [("institutions", INSTITUTIONS)]
    indicators: ClassVar[tuple[str, ...]] = INDICATORS

    def score(self, feats: dict[str, pa.Table], params: dict[str, Any], context: ScoringContext) -> list[Clue]:
        rows = [r for r in feats["institutions"].to_pylist() if r["n_visits"] >= int(params["min_visits"])]
        if len(rows) < 5:
            return []
        zs = peer_z(rows, self.indicators, int(params["min_peers"]))
        mat = np.column_stack([zs[k] for k in self.indicators])
        forest = IsolationForest(n_estimators=200, random_state=0, contamination="auto").fit(mat)
        anomaly = percentile_rank(-forest.score_samples(mat))
        groups = [peer_key(r) for r in rows]
        zmin, cut = float(params["z_min"]), 1 - float(params["contamination"])
        out = []
        for i, r in enumerate(rows):
            high = {k: float(zs[k][i]) for k in self.indicators if zs[k][i] >= zmin}
            if not high or anomaly[i] < cut:
                continue
            top = sorted(high.items(), key=lambda kv: -kv[1])[:3]
            drivers = "、".join(f"{ZH[k]}{describe(k, float(r[k]))}(z={v:.1f})" for k, v in top)
            amount = excess_cost(r, rows, groups, i)
            figures = {"fixmedins_code": r["fixmedins_code"], "peer": peer_key(r), "n_peers": groups.count(groups[i]) - 1,
                       "if_pct": round(100 * float(anomaly[i]), 1), "drivers_list": [k for k, _ in top],
                       **{k: round(float(r[k] or 0), 4) for k in self.indicators},
                       **{f"z_{k}": round(v, 2) for k, v in high.items()}, "amount_yuan": yuan(amount)}
            s = 0.5 * float(anomaly[i]) + 0.5 * squash(max(high.values()) - zmin + 1, 3.0)
            out.append(Clue([r["fixmedins_code"]], min(1.0, s), amount,
                            self.spec.narrative.format(**figures, drivers=drivers), figures,
                            fixmedins_code=r["fixmedins_code"], medins_admdvs=r["medins_admdvs"]))
        return out


@register
class InstitutionPattern(PeerOutlier):
    """Same indicators frame, the admission patterns: 分解住院, 低标准入院, very short stays, induced returns."""

    spec: ClassVar[ModelSpec] = ModelSpec(
        id="institution_pattern", name="机构住院与复诊模式异常", version=1, subject_type="institution",
        logic="与同级同类机构比较15日内再入院率（分解住院）、以检查化验为主的住院占比（低标准入院）、"
              "2天及以内极短住院占比、7日内复诊率（诱导复诊）与检查化验占比。",
        features="每家医疗机构：住院人次、15日内再入院率、以检查为主住院占比、极短住院占比、7日内复诊率、检查化验占比。",
        lookalikes="日间手术多的专科医院（极短住院多但不集中于检查）；规律复诊的慢病门诊（只与同级同类比较）。",
        narrative="{fixmedins_code}（{peer}）与同级同类{n_peers}家机构相比：{drivers}，孤立森林异常分位{if_pct}%，"
                  "超出同级中位次均费用的基金{amount_yuan}元。",
        score="0.5·孤立森林异常分位 + 0.5·s(最大z−z_min+1, 3)",
        params=PeerOutlier.spec.params)
    indicators: ClassVar[tuple[str, ...]] = ("readmit_share", "test_stay_share", "short_stay_share", "return_share",
                                             "test_share")
