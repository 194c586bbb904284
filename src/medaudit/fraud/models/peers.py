"""Institution indicators shared by the peer-outlier and institution-pattern models.

One row per hospital or clinic (pharmacies have their own model) with its peer group: institution
type and level, so a tertiary hospital's case mix is compared with other tertiary hospitals only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from medaudit.fraud.stats import grouped_robust_z

INSTITUTIONS = """
SELECT e.fixmedins_code, MAX(e.fixmedins_type) AS fixmedins_type, MAX(e.medins_lv) AS medins_lv,
       MAX(e.medins_admdvs) AS medins_admdvs,
       COUNT(*) AS n_visits, COUNT(DISTINCT e.psn_no) AS n_patients,
       CAST(SUM(e.fund_pay_fen) AS BIGINT) AS fund_pay_fen,
       AVG(e.medfee_sumamt_fen * CAST(1 AS DOUBLE)) AS cost_per_visit,
       CAST(SUM(CASE WHEN e.visit_type = 'inpatient' THEN 1 ELSE 0 END) AS BIGINT) AS n_stays,
       AVG(CASE WHEN e.visit_type = 'inpatient' THEN e.los_days * CAST(1 AS DOUBLE) ELSE NULL END) AS avg_stay,
       AVG(CASE WHEN e.visit_type = 'inpatient' THEN (CASE WHEN e.los_days <= 2 THEN CAST(1 AS DOUBLE) ELSE CAST(0 AS DOUBLE) END) ELSE NULL END)
           AS short_stay_share,
       AVG(CASE WHEN r.n_prior > 0 THEN CAST(1 AS DOUBLE) ELSE CAST(0 AS DOUBLE) END) AS return_share,
       AVG(CASE WHEN e.visit_type = 'inpatient' THEN (CASE WHEN s.readmit > 0 THEN CAST(1 AS DOUBLE) ELSE CAST(0 AS DOUBLE) END) ELSE NULL END)
           AS readmit_share,
       MAX(a.drug_share) AS drug_share, MAX(a.test_share) AS test_share,
       AVG(CASE WHEN e.visit_type = 'inpatient' THEN (CASE WHEN t.test_share >= 0.7 THEN CAST(1 AS DOUBLE) ELSE CAST(0 AS DOUBLE) END) ELSE NULL END)
           AS test_stay_share
FROM enc_ctx e
LEFT JOIN (SELECT e1.mdtrt_id, COUNT(*) AS n_prior FROM enc_ctx e1
           JOIN enc_ctx e0 ON e0.psn_no = e1.psn_no AND e0.fixmedins_code = e1.fixmedins_code
            AND e0.mdtrt_id <> e1.mdtrt_id AND e0.adm_dn < e1.adm_dn AND e1.adm_dn - e0.adm_dn <= 7
           WHERE e1.visit_type <> 'inpatient' AND e0.visit_type <> 'inpatient'
           GROUP BY e1.mdtrt_id) r ON r.mdtrt_id = e.mdtrt_id
LEFT JOIN (SELECT e1.mdtrt_id, COUNT(*) AS readmit FROM enc_ctx e1
           JOIN enc_ctx e0 ON e0.psn_no = e1.psn_no AND e0.fixmedins_code = e1.fixmedins_code
            AND e0.mdtrt_id <> e1.mdtrt_id AND e0.visit_type = 'inpatient'
            AND e1.adm_dn >= e0.dscg_dn AND e1.adm_dn - e0.dscg_dn <= 15
           WHERE e1.visit_type = 'inpatient' GROUP BY e1.mdtrt_id) s ON s.mdtrt_id = e.mdtrt_id
LEFT JOIN (SELECT fixmedins_code,
                  SUM(CASE WHEN is_drug THEN amt_fen ELSE 0 END) * CAST(1 AS DOUBLE) / NULLIF(SUM(amt_fen), 0) AS drug_share,
                  SUM(CASE WHEN med_chrgitm_type IN ('03', '04') THEN amt_fen ELSE 0 END) * CAST(1 AS DOUBLE)
                      / NULLIF(SUM(amt_fen), 0) AS test_share
           FROM line_ctx GROUP BY fixmedins_code) a ON a.fixmedins_code = e.fixmedins_code
LEFT JOIN (SELECT mdtrt_id, SUM(CASE WHEN med_chrgitm_type IN ('03', '04') THEN amt_fen ELSE 0 END) * CAST(1 AS DOUBLE)
                      / NULLIF(SUM(amt_fen), 0) AS test_share
           FROM line_ctx WHERE visit_type = 'inpatient' GROUP BY mdtrt_id) t ON t.mdtrt_id = e.mdtrt_id
WHERE e.fixmedins_type <> 'pharmacy'
GROUP BY e.fixmedins_code
"""


def peer_key(r: dict[str, Any]) -> str:
    return f"{r['fixmedins_type']}-{r['medins_lv']}"


def peer_z(rows: list[dict[str, Any]], indicators: tuple[str, ...], min_group: int) -> dict[str, np.ndarray]:
    """Robust z of each indicator within the institution's peer group (missing values count as the median)."""
    groups = [peer_key(r) for r in rows]
    out = {}
    for k in indicators:
        x = np.array([np.nan if r[k] is None else float(r[k]) for r in rows])
        med = np.nanmedian(x) if np.isfinite(x).any() else 0.0
        x = np.where(np.isfinite(x), x, med)
        out[k] = grouped_robust_z(x, groups, min_group, floor=1e-3 * max(abs(float(med)), 1e-3))
    return out
