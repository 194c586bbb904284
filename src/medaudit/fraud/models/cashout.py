"""医保电子凭证套现 / 空刷 (pharmacies): cards swiped for cash, not for medicine.

Per pharmacy: the share of settlements at round amounts (whole 10 yuan), the share in identical
baskets (same amount and number of lines, repeated), bursts of sales minutes apart *beyond what the
pharmacy's own sales rate gives by chance*, late-evening share, and distinct cards per burst. Each
is compared with the region's pharmacies (robust z). A cash-out signature needs the money pattern
(round amounts or identical baskets) together with a timing pattern: a 24-hour pharmacy's late
sales or a flagship store's volume alone do not make one.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from medaudit.fraud.model import Clue, FraudModel, ModelSpec, Param, ScoringContext
from medaudit.fraud.registry import register
from medaudit.fraud.stats import robust_z, squash

from .common import group_ids, yuan

#: minutes since 2000-01-01 of each pharmacy settlement, its basket and hour
SALES = """
SELECT e.mdtrt_id, e.psn_no, e.fixmedins_code, e.medins_admdvs, e.medfee_sumamt_fen AS amt_fen, e.fund_pay_fen,
       e.setl_dn * 1440 + HOUR(e.setl_time) * 60 + MINUTE(e.setl_time) AS setl_min,
       HOUR(e.setl_time) AS hr, COALESCE(n.n_lines, 0) AS n_lines
FROM enc_ctx e
LEFT JOIN (SELECT mdtrt_id, COUNT(*) AS n_lines FROM line_ctx GROUP BY mdtrt_id) n ON n.mdtrt_id = e.mdtrt_id
WHERE e.visit_type = 'pharmacy'
"""

GAPS = """
SELECT s.*, s.setl_min - LAG(s.setl_min) OVER (PARTITION BY s.fixmedins_code ORDER BY s.setl_min, s.mdtrt_id) AS gap_min,
       LAG(s.psn_no) OVER (PARTITION BY s.fixmedins_code ORDER BY s.setl_min, s.mdtrt_id) AS prev_psn,
       LAG(s.amt_fen) OVER (PARTITION BY s.fixmedins_code ORDER BY s.setl_min, s.mdtrt_id) AS prev_amt,
       LAG(s.n_lines) OVER (PARTITION BY s.fixmedins_code ORDER BY s.setl_min, s.mdtrt_id) AS prev_lines,
       COUNT(*) OVER (PARTITION BY s.fixmedins_code, s.amt_fen, s.n_lines) AS same_basket
FROM sales s
"""

#: distinct cards per 30-minute slot, for slots with at least 3 sales
SLOTS = """
SELECT fixmedins_code, CAST(FLOOR(setl_min / 30) AS BIGINT) AS slot, COUNT(*) AS n_sales,
       COUNT(DISTINCT psn_no) AS n_cards
FROM sales GROUP BY fixmedins_code, CAST(FLOOR(setl_min / 30) AS BIGINT)
"""

PHARMACY = """
SELECT g.fixmedins_code, MAX(g.medins_admdvs) AS medins_admdvs, COUNT(*) AS n_sales,
       COUNT(DISTINCT g.psn_no) AS n_cards,
       CAST(SUM(g.fund_pay_fen) AS BIGINT) AS fund_pay_fen,
       AVG(CASE WHEN g.amt_fen > 0 AND g.amt_fen % 1000 = 0 THEN CAST(1 AS DOUBLE) ELSE CAST(0 AS DOUBLE) END) AS round_share,
       AVG(CASE WHEN g.amt_fen = g.prev_amt AND g.n_lines = g.prev_lines AND g.prev_psn <> g.psn_no
                THEN CAST(1 AS DOUBLE) ELSE CAST(0 AS DOUBLE) END) AS repeat_share,
       AVG(g.same_basket * CAST(1 AS DOUBLE)) / COUNT(*) AS basket_concentration,
       AVG(CASE WHEN g.gap_min <= 5 AND g.prev_psn <> g.psn_no THEN CAST(1 AS DOUBLE) ELSE CAST(0 AS DOUBLE) END) AS burst_share,
       AVG(CASE WHEN g.hr >= 21 OR g.hr < 6 THEN CAST(1 AS DOUBLE) ELSE CAST(0 AS DOUBLE) END) AS late_share,
       COUNT(DISTINCT g.setl_min - g.setl_min % 60) AS open_hours,
       MAX(s.max_cards) AS max_cards_slot, MAX(s.busy_cards) AS busy_cards
FROM gaps g
LEFT JOIN (SELECT fixmedins_code, MAX(n_cards) AS max_cards,
                  AVG(CASE WHEN n_sales >= 3 THEN n_cards * CAST(1 AS DOUBLE) ELSE NULL END) AS busy_cards
           FROM slots GROUP BY fixmedins_code) s ON s.fixmedins_code = g.fixmedins_code
GROUP BY g.fixmedins_code
"""

#: the settlements that make up the pattern (evidence): round amounts, repeated baskets, bursts
FLAGGED_SALES = """
SELECT fixmedins_code, mdtrt_id, fund_pay_fen FROM gaps
WHERE (amt_fen > 0 AND amt_fen % 1000 = 0) OR (amt_fen = prev_amt AND n_lines = prev_lines AND prev_psn <> psn_no)
   OR (gap_min <= 5 AND prev_psn <> psn_no)
"""

_MONEY = ("round_share", "basket_excess")
_TIMING = ("burst_excess", "late_share", "busy_cards")
_ZH = {"round_share": "整数金额结算占比", "basket_excess": "连续相同处方组合超出随机预期", "burst_excess": "集中连续刷卡超出随机预期",
       "late_share": "夜间结算占比", "busy_cards": "高峰时段不同参保人数"}


def expected_burst_share(n_sales: int, open_hours: int, window: int = 5) -> float:
    """Share of sales within ``window`` minutes of the previous one if sales arrived at random
    (Poisson at the pharmacy's own rate over the hours it made sales)."""
    if open_hours <= 0 or n_sales <= 1:
        return 0.0
    rate = n_sales / (open_hours * 60.0)
    return 1.0 - math.exp(-rate * window)


@register
class CardCashOut(FraudModel):
    spec: ClassVar[ModelSpec] = ModelSpec(
        id="card_cashout", name="医保电子凭证套现", version=1, subject_type="pharmacy",
        logic="定点零售药店整数金额结算、相同处方组合反复出现（资金特征），同时伴有短时间内多张凭证连续结算超出随机预期、"
              "夜间集中结算或高峰时段不同参保人数异常（时间特征）；各指标与本统筹区药店比较（稳健z值）。",
        features="每家药店：结算笔数、参保人数、整数金额占比、与上一笔相同组合（金额与明细数相同）占比及随机预期(Σp²)、5分钟内连续不同人结算占比及随机预期、"
                 "夜间(21时至次日6时)占比、30分钟时段内不同参保人数。",
        lookalikes="24小时药店（夜间占比高但金额与组合正常）；旗舰店/大型连锁（笔数多，连续结算由其自身销售速率解释）。",
        narrative="药店{fixmedins_code}共{n_sales}笔结算、{n_cards}名参保人：{drivers}，涉及基金{amount_yuan}元。",
        score="s(Σ 超过z_min的资金与时间指标z值, 10)；须资金指标与时间指标各至少一项超过z_min",
        params=[
            Param(name="z_min", default=3.0, zh="指标稳健z值下限"),
            Param(name="min_sales", type="int", default=30, zh="结算笔数不少于此数的药店才参与比较"),
        ])
    features: ClassVar[list[tuple[str, str]]] = [
        ("sales", SALES), ("gaps", GAPS), ("slots", SLOTS), ("pharmacy", PHARMACY), ("flagged_sales", FLAGGED_SALES),
    ]

    def score(self, feats: dict[str, pa.Table], params: dict[str, Any], context: ScoringContext) -> list[Clue]:
        t = feats["pharmacy"]
        rows = [r for r in t.to_pylist() if r["n_sales"] >= int(params["min_sales"])]
        if len(rows) < 3:
            return []
        for r in rows:
            r["burst_excess"] = float(r["burst_share"]) - expected_burst_share(r["n_sales"], r["open_hours"])
            r["busy_cards"] = float(r["busy_cards"] or 0.0)
            # consecutive sales with the same basket, beyond the chance Σ p_b² of the pharmacy's basket mix
            r["basket_excess"] = float(r["repeat_share"]) - float(r["basket_concentration"])
        zs = {k: robust_z(np.array([float(r[k]) for r in rows]), floor=0.02 if k != "busy_cards" else 0.5)
              for k in (*_MONEY, *_TIMING)}
        zmin = float(params["z_min"])
        ev = group_ids(feats["flagged_sales"], "fixmedins_code", "mdtrt_id", "fund_pay_fen")
        out = []
        for i, r in enumerate(rows):
            high = {k: float(zs[k][i]) for k in zs if zs[k][i] >= zmin}
            if not any(k in high for k in _MONEY) or not any(k in high for k in _TIMING):
                continue
            code = r["fixmedins_code"]
            e = ev.get(code, {"mdtrt_id": [], "fund_pay_fen": []})
            amount = int(sum(v or 0 for v in e["fund_pay_fen"]))
            drivers = "、".join(f"{_ZH[k]}{_fmt(k, r[k])}(z={v:.1f})" for k, v in sorted(high.items(), key=lambda kv: -kv[1]))
            figures = {"fixmedins_code": code, "n_sales": r["n_sales"], "n_cards": r["n_cards"],
                       **{k: round(float(r[k]), 4) for k in (*_MONEY, *_TIMING)},
                       **{f"z_{k}": round(v, 2) for k, v in high.items()}, "amount_yuan": yuan(amount)}
            narrative = self.spec.narrative.format(**figures, drivers=drivers)
            out.append(Clue([code], squash(sum(high.values()), 10.0), amount, narrative, figures, e["mdtrt_id"],
                            fixmedins_code=code, medins_admdvs=r["medins_admdvs"]))
        return out


def _fmt(key: str, value: float) -> str:
    return f"{value:.1f}人" if key == "busy_cards" else f"{value * 100:.0f}%"
