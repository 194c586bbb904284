"""重点药品监测: volume and growth of key monitored drugs per institution against peers.

Key drugs are the pack's list of drug-code prefixes (``drug_prefixes``); when the list is empty the
region's own ``top_n`` drugs by fund amount are monitored. Per institution × drug: amount per 100
visits and growth from the first to the last month of the period, each as a robust z within the
drug's prescribers of the same type and level.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from medaudit.fraud.model import Clue, FraudModel, ModelSpec, Param, ScoringContext
from medaudit.fraud.registry import register
from medaudit.fraud.stats import grouped_robust_z, squash

from .common import PERIOD_SQL, yuan

USE = """
SELECT l.fixmedins_code, COALESCE(l.drug_prefix, l.hilist_code) AS drug_key, MIN(l.hilist_name) AS drug_name,
       MAX(l.fixmedins_type) AS fixmedins_type, MAX(l.medins_lv) AS medins_lv,
       CAST(SUM(l.amt_fen) AS BIGINT) AS amt_fen,
       CAST(SUM(CASE WHEN l.fee_dn - p.first_dn < 30 THEN l.amt_fen ELSE 0 END) AS BIGINT) AS first_amt,
       CAST(SUM(CASE WHEN p.last_dn - l.fee_dn < 30 THEN l.amt_fen ELSE 0 END) AS BIGINT) AS last_amt,
       COUNT(DISTINCT l.mdtrt_id) AS n_enc
FROM line_ctx l CROSS JOIN period p
WHERE l.is_drug AND NOT l.selfpay_flag
GROUP BY l.fixmedins_code, COALESCE(l.drug_prefix, l.hilist_code)
"""

VISITS = """
SELECT fixmedins_code, COUNT(*) AS n_visits, MAX(medins_admdvs) AS medins_admdvs FROM enc_ctx GROUP BY fixmedins_code
"""


@register
class KeyDrug(FraudModel):
    spec: ClassVar[ModelSpec] = ModelSpec(
        id="key_drug", name="重点药品监测", version=1, subject_type="institution",
        logic="重点监测药品在各机构的每百人次使用金额及统计期首末月增长，与使用该药品的同类型同级别机构比较（稳健z值）。",
        features="每机构每药品：金额、首月与末月金额、涉及就诊次数；每机构就诊人次；统计期。",
        lookalikes="专科医院对本专科药品的正常高用量（同级同类比较，且须超过 z_min）；新开业机构（首月为0时不计增长）。",
        narrative="{fixmedins_code}重点药品【{drug_name}】每百人次使用{per100_yuan}元，为同级同类机构中位数的{times}倍"
                  "（z={z_volume}）{growth}，统计期金额{amount_yuan}元。",
        score="s(max(z_用量, z_增长) − z_min + 1, 3)",
        params=[
            Param(name="drug_prefixes", type="list", default=[], zh="重点监测药品编码前缀；为空时取本统筹区基金金额前 top_n 的药品"),
            Param(name="top_n", type="int", default=20, zh="未给出重点药品目录时监测的药品数"),
            Param(name="z_min", default=3.5, zh="稳健z值下限"),
            Param(name="min_peers", type="int", default=5, zh="同药品同级同类机构不少于此数才分组比较"),
        ])
    features: ClassVar[list[tuple[str, str]]] = [("period", PERIOD_SQL), ("use", USE), ("visits", VISITS)]

    def score(self, feats: dict[str, pa.Table], params: dict[str, Any], context: ScoringContext) -> list[Clue]:
        rows = feats["use"].to_pylist()
        visits = {r["fixmedins_code"]: r for r in feats["visits"].to_pylist()}
        prefixes = [str(p) for p in params["drug_prefixes"]]
        if prefixes:
            rows = [r for r in rows if any(str(r["drug_key"]).startswith(p) for p in prefixes)]
        else:
            total: dict[str, int] = defaultdict(int)
            for r in rows:
                total[r["drug_key"]] += int(r["amt_fen"])
            keep = set(sorted(total, key=lambda k: -total[k])[: int(params["top_n"])])
            rows = [r for r in rows if r["drug_key"] in keep]
        if len(rows) < 5:
            return []
        per100 = np.array([100 * r["amt_fen"] / max(visits[r["fixmedins_code"]]["n_visits"], 1) for r in rows])
        growth = np.array([np.log((r["last_amt"] + 1) / (r["first_amt"] + 1)) if r["first_amt"] else 0.0 for r in rows])
        groups = [f"{r['drug_key']}|{r['fixmedins_type']}-{r['medins_lv']}" for r in rows]
        mp = int(params["min_peers"])
        zv = grouped_robust_z(np.log1p(per100), groups, mp, floor=0.1)
        zg = grouped_robust_z(growth, groups, mp, floor=0.1)
        zmin = float(params["z_min"])
        out: dict[str, Clue] = {}
        for i, r in enumerate(rows):
            top = max(float(zv[i]), float(zg[i]))
            if top < zmin:
                continue
            same = [per100[j] for j in range(len(rows)) if groups[j] == groups[i]]
            med = float(np.median(same)) if same else 0.0
            code = r["fixmedins_code"]
            g = f"，末月较首月增长{(np.exp(growth[i]) - 1) * 100:.0f}%（z={zg[i]:.1f}）" if zg[i] >= zmin else ""
            figures = {"fixmedins_code": code, "drug_name": r["drug_name"], "drug_key": r["drug_key"],
                       "per100_yuan": yuan(per100[i]), "times": round(per100[i] / med, 1) if med else "∞",
                       "z_volume": round(float(zv[i]), 2), "z_growth": round(float(zg[i]), 2),
                       "amount_yuan": yuan(int(r["amt_fen"]))}
            clue = Clue([code], squash(top - zmin + 1, 3.0), int(r["amt_fen"]),
                        self.spec.narrative.format(**figures, growth=g), figures, fixmedins_code=code,
                        medins_admdvs=visits[code]["medins_admdvs"])
            if code not in out or clue.score > out[code].score:
                out[code] = clue
        return list(out.values())
