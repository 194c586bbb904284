"""团伙就医 / 结伙骗保: unrelated people who visit the same institutions together, again and again.

Two visits "together" are at the same institution, on the same day, in the same four-hour slot. For
every pair of people with repeated co-visits the number expected by chance is
``λ = Σ_i n_a,i · n_b,i · q_i``, where ``n_·,i`` are their visits to institution i and ``q_i`` the
probability that two random visits to i fall in the same day-slot (from i's own visit calendar, so a
big hospital's crowded mornings raise it). A pair is an edge when its Poisson tail ``P(X ≥ k | λ)``
is below ``alpha`` divided by the number of pairs tested (Bonferroni). Groups are the communities of
the edge graph (networkx, Louvain for large components) with at least ``min_size`` members; a family
that visits together once, or a couple, is below both bars.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, ClassVar

import networkx as nx
import pyarrow as pa

from medaudit.fraud.model import Clue, FraudModel, ModelSpec, Param, ScoringContext
from medaudit.fraud.registry import register
from medaudit.fraud.stats import poisson_sf, squash

from .common import yuan

SLOTS = """
SELECT DISTINCT psn_no, fixmedins_code, adm_dn, CAST(FLOOR(HOUR(adm_time) / 4) AS BIGINT) AS slot
FROM enc_ctx
"""

#: probability that two random visits to an institution share a day-slot: Σ c² / (Σ c)²
INST_Q = """
SELECT fixmedins_code, SUM(c * c) * CAST(1 AS DOUBLE) / (SUM(c) * SUM(c)) AS q, CAST(SUM(c) AS BIGINT) AS n_visits
FROM (SELECT fixmedins_code, adm_dn, slot, COUNT(*) AS c FROM slots GROUP BY fixmedins_code, adm_dn, slot) t
GROUP BY fixmedins_code
"""

PAIRS = """
SELECT a.psn_no AS psn_a, b.psn_no AS psn_b, COUNT(*) AS n_co, COUNT(DISTINCT a.fixmedins_code) AS n_inst
FROM slots a
JOIN slots b ON b.fixmedins_code = a.fixmedins_code AND b.adm_dn = a.adm_dn AND b.slot = a.slot
 AND a.psn_no < b.psn_no
GROUP BY a.psn_no, b.psn_no
HAVING COUNT(*) >= 2
"""

#: number of co-visiting pairs (with one co-visit or more): the multiple-testing denominator
N_TESTS = """
SELECT COUNT(*) AS n_pairs FROM (
  SELECT a.psn_no, b.psn_no FROM slots a
  JOIN slots b ON b.fixmedins_code = a.fixmedins_code AND b.adm_dn = a.adm_dn AND b.slot = a.slot
   AND a.psn_no < b.psn_no
  GROUP BY a.psn_no, b.psn_no) t
"""

VISITS = """
SELECT s.psn_no, s.fixmedins_code, COUNT(*) AS n
FROM slots s
JOIN (SELECT psn_a AS psn_no FROM pairs UNION SELECT psn_b AS psn_no FROM pairs) p ON p.psn_no = s.psn_no
GROUP BY s.psn_no, s.fixmedins_code
"""

ENCOUNTERS = """
SELECT e.mdtrt_id, e.psn_no, e.fixmedins_code, e.medins_admdvs, e.adm_dn,
       CAST(FLOOR(HOUR(e.adm_time) / 4) AS BIGINT) AS slot, e.fund_pay_fen
FROM enc_ctx e
JOIN (SELECT psn_a AS psn_no FROM pairs UNION SELECT psn_b AS psn_no FROM pairs) p ON p.psn_no = e.psn_no
"""


@register
class CareRing(FraudModel):
    spec: ClassVar[ModelSpec] = ModelSpec(
        id="care_ring", name="团伙就医/结伙骗保", version=1, subject_type="group",
        logic="同一机构、同一天、同一时段共同就诊的参保人对，其共同就诊次数显著超过随机预期（泊松检验，Bonferroni校正）；"
              "显著参保人对构成的图中，社区（Louvain）成员不少于 min_size 的为团伙。",
        features="每人每机构每天每四小时时段的就诊；机构时段拥挤度q；参保人对共同就诊次数与机构数；每人每机构就诊次数。",
        lookalikes="大医院门诊高峰（q大，随机预期高）；家庭成员偶尔同诊（次数少、人数少）；药店常客（各自规律就诊，不同时段）。",
        narrative="{size}名参保人在{n_inst}家机构反复同日同时段就诊，成员间共同就诊{co_visits}次"
                  "（随机预期{expected}次，最显著p={p_min}），涉及{n_enc}次就诊、基金{amount_yuan}元。",
        score="s(平均 −log10 p, 10)·0.7 + s(人数−min_size+1, 4)·0.3",
        params=[
            Param(name="alpha", default=0.01, zh="显著性水平（按检验的参保人对数作Bonferroni校正）"),
            Param(name="min_size", type="int", default=4, zh="团伙最少人数"),
            Param(name="min_covisits", type="int", default=3, zh="参保人对最少共同就诊次数"),
        ])
    features: ClassVar[list[tuple[str, str]]] = [
        ("slots", SLOTS), ("inst_q", INST_Q), ("pairs", PAIRS), ("n_tests", N_TESTS), ("visits", VISITS),
        ("encounters", ENCOUNTERS),
    ]

    def score(self, feats: dict[str, pa.Table], params: dict[str, Any], context: ScoringContext) -> list[Clue]:
        pairs = feats["pairs"].to_pylist()
        if not pairs:
            return []
        q = dict(zip(feats["inst_q"].column("fixmedins_code").to_pylist(), feats["inst_q"].column("q").to_pylist(),
                     strict=True))
        visits: dict[str, dict[str, int]] = defaultdict(dict)
        for r in feats["visits"].to_pylist():
            visits[r["psn_no"]][r["fixmedins_code"]] = int(r["n"])
        n_tests = max(1, int(feats["n_tests"].column("n_pairs")[0].as_py() or 1))
        bar = float(params["alpha"]) / n_tests
        g = nx.Graph()
        for r in pairs:
            if r["n_co"] < int(params["min_covisits"]):
                continue
            va, vb = visits[r["psn_a"]], visits[r["psn_b"]]
            lam = sum(n * vb.get(i, 0) * float(q.get(i, 0.0) or 0.0) for i, n in va.items())
            p = poisson_sf(int(r["n_co"]), lam)
            if p < bar:
                g.add_edge(r["psn_a"], r["psn_b"], p=max(p, 1e-300), k=int(r["n_co"]), lam=lam)
        groups: list[set[str]] = []
        for comp in nx.connected_components(g):
            if len(comp) > 30:
                groups.extend(set(c) for c in nx.community.louvain_communities(g.subgraph(comp), seed=0))
            else:
                groups.append(set(comp))
        encs = feats["encounters"].to_pylist()
        out = []
        for members in groups:
            if len(members) < int(params["min_size"]):
                continue
            out.append(self._clue(g, members, encs, int(params["min_size"])))
        return out

    def _clue(self, g: nx.Graph, members: set[str], encs: list[dict[str, Any]], min_size: int) -> Clue:
        sub = g.subgraph(members)
        edges = list(sub.edges(data=True))
        mean_lp = sum(-math.log10(d["p"]) for _, _, d in edges) / max(len(edges), 1)
        slots: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
        for e in encs:
            if e["psn_no"] in members:
                slots[(e["fixmedins_code"], e["adm_dn"], e["slot"])].append(e)
        together = [e for rows in slots.values() if len({x["psn_no"] for x in rows}) >= 2 for e in rows]
        amount = int(sum(int(e["fund_pay_fen"] or 0) for e in together))
        insts = [e["fixmedins_code"] for e in together]
        figures = {"size": len(members), "n_inst": len(set(insts)), "co_visits": sum(d["k"] for _, _, d in edges),
                   "expected": round(sum(d["lam"] for _, _, d in edges), 2),
                   "p_min": f"{min(d['p'] for _, _, d in edges):.1e}", "edges": len(edges), "n_enc": len(together),
                   "amount_yuan": yuan(amount)}
        s = 0.7 * squash(mean_lp, 10.0) + 0.3 * squash(len(members) - min_size + 1, 4.0)
        top = max(set(insts), key=insts.count) if insts else None
        return Clue(sorted(members), min(1.0, s), amount, self.spec.narrative.format(**figures), figures,
                    [e["mdtrt_id"] for e in together], fixmedins_code=top,
                    medins_admdvs=together[0]["medins_admdvs"] if together else None)
