"""虚假住院 / 挂床住院: inpatient days with no sign that anyone was cared for.

Per stay: the days that carry a daily-care charge (nursing, tests, treatment, drugs) against the
days of stay, the share of the amount that is bed and 诊查 only, how flat the daily charges are, and
settlements of the same card elsewhere during the stay (another city weighs more). A long
rehabilitation stay has treatment every day and so does not look empty; a stay counts as empty when
its care-day share is at most ``max_care_share`` and is an outlier among the region's stays (robust
z below ``-z_min``); the bed/诊查 share adds to the score.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from medaudit.fraud.model import Clue, FraudModel, ModelSpec, Param, ScoringContext
from medaudit.fraud.registry import register
from medaudit.fraud.stats import robust_z, squash

from .common import yuan

#: charge categories that show daily care: 03检查 04化验 05治疗 06手术 07护理 09西药 10中药饮片 11中成药
CARE = "('03', '04', '05', '06', '07', '09', '10', '11')"

DAYS = f"""
SELECT l.mdtrt_id, l.fee_dn, CAST(SUM(l.amt_fen) AS BIGINT) AS day_amt,
       MAX(CASE WHEN l.med_chrgitm_type IN {CARE} THEN 1 ELSE 0 END) AS care
FROM line_ctx l WHERE l.visit_type = 'inpatient'
GROUP BY l.mdtrt_id, l.fee_dn
"""

ELSEWHERE = """
SELECT s.mdtrt_id, COUNT(*) AS n_elsewhere,
       CAST(SUM(CASE WHEN o.medins_admdvs <> s.medins_admdvs THEN 1 ELSE 0 END) AS BIGINT) AS n_other_region
FROM enc_ctx s
JOIN enc_ctx o ON o.psn_no = s.psn_no AND o.mdtrt_id <> s.mdtrt_id AND o.fixmedins_code <> s.fixmedins_code
 AND o.adm_dn > s.adm_dn AND o.adm_dn < s.dscg_dn AND o.visit_type <> 'inpatient'
WHERE s.visit_type = 'inpatient'
GROUP BY s.mdtrt_id
"""

STAYS = """
SELECT e.mdtrt_id, e.psn_no, e.fixmedins_code, e.medins_admdvs, e.medins_lv, e.los_days, e.fund_pay_fen,
       COALESCE(d.days_charged, 0) AS days_charged, COALESCE(d.care_days, 0) AS care_days,
       COALESCE(d.mean_day, CAST(0 AS DOUBLE)) AS mean_day, COALESCE(d.sd_day, CAST(0 AS DOUBLE)) AS sd_day,
       COALESCE(a.bed_amt, 0) AS bed_amt, COALESCE(a.total_amt, 0) AS total_amt,
       COALESCE(w.n_elsewhere, 0) AS n_elsewhere, COALESCE(w.n_other_region, 0) AS n_other_region
FROM enc_ctx e
LEFT JOIN (SELECT mdtrt_id, COUNT(*) AS days_charged, CAST(SUM(care) AS BIGINT) AS care_days, AVG(day_amt * CAST(1 AS DOUBLE)) AS mean_day,
                  STDDEV_POP(day_amt * CAST(1 AS DOUBLE)) AS sd_day FROM days GROUP BY mdtrt_id) d ON d.mdtrt_id = e.mdtrt_id
LEFT JOIN (SELECT mdtrt_id, CAST(SUM(CASE WHEN med_chrgitm_type IN ('01', '02') THEN amt_fen ELSE 0 END) AS BIGINT) AS bed_amt,
                  CAST(SUM(amt_fen) AS BIGINT) AS total_amt
           FROM line_ctx WHERE visit_type = 'inpatient' GROUP BY mdtrt_id) a ON a.mdtrt_id = e.mdtrt_id
LEFT JOIN elsewhere w ON w.mdtrt_id = e.mdtrt_id
WHERE e.visit_type = 'inpatient'
"""


@register
class PhantomStay(FraudModel):
    spec: ClassVar[ModelSpec] = ModelSpec(
        id="phantom_stay", name="虚假住院/挂床住院", version=1, subject_type="encounter",
        logic="住院期间多数日子只有床位费、诊查费，无护理、检查化验、治疗、用药等日常诊疗记录，每日费用平直；"
              "住院期间同一凭证在其他机构（尤其异地）门诊或购药结算加重评分。",
        features="每次住院：住院天数、有收费天数、有诊疗记录天数、床位与诊查费占比、日费用均值与标准差、住院期间他处结算次数（异地次数）。",
        lookalikes="康复、长期护理等长住院（每日有治疗、护理记录）；短期观察住院（天数少于 min_los）。",
        narrative="住院{mdtrt_id}（{fixmedins_code}）共{los_days}天，仅{care_days}天有护理/检查/治疗/用药记录，"
                  "床位与诊查费占{bed_share_pct}%，日费用变异系数{cv}{extra}，涉及基金{amount_yuan}元。",
        score="0.5·(1−诊疗天数占比) + 0.3·s(max(床位诊查占比z,0), 3) + 0.2·s(他处结算次数 + 2·异地次数, 1)",
        params=[
            Param(name="min_los", type="int", default=4, zh="住院天数不少于此数才判断"),
            Param(name="max_care_share", default=0.25, zh="有诊疗记录天数占住院天数的比例上限"),
            Param(name="z_min", default=3.0, zh="诊疗天数占比低于本统筹区住院的稳健z值下限"),
        ])
    features: ClassVar[list[tuple[str, str]]] = [("days", DAYS), ("elsewhere", ELSEWHERE), ("stays", STAYS)]

    def score(self, feats: dict[str, pa.Table], params: dict[str, Any], context: ScoringContext) -> list[Clue]:
        rows = [r for r in feats["stays"].to_pylist() if (r["los_days"] or 0) >= int(params["min_los"])]
        if not rows:
            return []
        bed = np.array([r["bed_amt"] / r["total_amt"] if r["total_amt"] else 0.0 for r in rows])
        z = robust_z(bed, floor=0.02)
        care = np.array([min(1.0, r["care_days"] / max(r["los_days"], 1)) for r in rows])
        zc = robust_z(care, floor=0.05)
        out = []
        for i, r in enumerate(rows):
            care_share = min(1.0, r["care_days"] / max(r["los_days"], 1))
            elsewhere = int(r["n_elsewhere"]) + 2 * int(r["n_other_region"])
            empty = care_share <= float(params["max_care_share"]) and -zc[i] >= float(params["z_min"])
            if not empty:
                continue
            s = 0.5 * (1 - care_share) + 0.3 * squash(max(float(z[i]), 0.0), 3.0) + 0.2 * squash(elsewhere, 1.0)
            cv = r["sd_day"] / r["mean_day"] if r["mean_day"] else 0.0
            extra = ""
            if r["n_elsewhere"]:
                extra = f"，住院期间同一凭证在其他机构结算{r['n_elsewhere']}次（异地{r['n_other_region']}次）"
            amount = int(r["fund_pay_fen"] or 0)
            figures = {"mdtrt_id": r["mdtrt_id"], "psn_no": r["psn_no"], "fixmedins_code": r["fixmedins_code"],
                       "los_days": r["los_days"], "care_days": r["care_days"], "care_share": round(care_share, 3),
                       "bed_share_pct": round(100 * float(bed[i]), 1), "z_bed": round(float(z[i]), 2), "z_care": round(float(zc[i]), 2),
                       "cv": round(cv, 2), "n_elsewhere": r["n_elsewhere"], "n_other_region": r["n_other_region"],
                       "amount_yuan": yuan(amount)}
            out.append(Clue([r["mdtrt_id"]], min(1.0, s), amount, self.spec.narrative.format(**figures, extra=extra),
                            figures, [r["mdtrt_id"]], fixmedins_code=r["fixmedins_code"],
                            medins_admdvs=r["medins_admdvs"]))
        return out
