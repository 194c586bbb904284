"""Real-time API under load: `medaudit serve --workers 2` on loopback, open-loop at 100/300/1,000 req/s.

Each request is a 20-line outpatient prescription (3101, trig_scen 2) for one of 50 patients who each
have settled encounters in the history store, audited by the full starter pack on the default
knowledge. Latency is measured from each request's *scheduled* send time (open loop: a slow answer
does not slow the generator down, so queueing shows up in the figures). The in-process breakdown
(parse, history read, rules, serialise, store) comes from the Server-Timing header of every answer.

Run: ``python -m benchmarks api`` (env BENCH_API_SECONDS, default 8 s per rate).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RATES = (100, 300, 1000)
PATIENTS = 50


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prescription(i: int, drugs: list[str], items: list[str], institution: str) -> dict[str, Any]:
    orders = []
    for n in range(20):
        drug = n % 2 == 0
        code = (drugs[(i + n) % len(drugs)] + "01010012345") if drug else (items[(i + n) % len(items)])
        orders.append({"rx_id": f"RX{i}-{n}", "hilist_code": code, "hilist_name": f"项目{n}",
                       "chrg_type": "09" if drug else "05", "cnt": "2", "pric": "12.50", "sumamt": "25.00",
                       "drord_dr_codg": "D44010600001", "drord_begn_date": "2025-06-10 09:30:00",
                       "curr_drord_flag": "1", "prd_days": 5})
    psn = f"P{i % PATIENTS:05d}"
    return {"syscode": "BENCH", "task_id": f"T{i}", "trig_scen": "2", "patient_dtos": [{
        "patn_id": psn, "patn_name": "测试", "gend": "2" if i % 3 else "1", "brdy": "1975-04-03",
        "poolarea": "440106", "curr_mdtrt_id": f"M{i}",
        "fsi_encounter_dtos": [{
            "mdtrt_id": f"M{i}", "medins_id": institution, "medins_name": "基准医院", "medins_admdvs": "440106",
            "medins_type": "1", "medins_lv": "05", "adm_date": "2025-06-10 09:00:00", "med_type": "11",
            "insutype": "310", "medfee_sumamt": "500.00", "dscg_main_dise_codg": "J06.900",
            "fsi_diagnose_dtos": [{"dise_codg": "J06.900", "dise_name": "急性上呼吸道感染", "maindise_flag": "1"}],
            "fsi_order_dtos": orders}]}]}


def _seed(state_url: str, history_url: str, drugs: list[str], institution: str) -> str:
    from medaudit.store import HistoryStore, StateStore

    key = StateStore(state_url).create_key(institution, "bench")
    hist = HistoryStore(history_url)
    for p in range(PATIENTS):
        for k in range(6):  # six settled visits in the last 90 days
            day = dt.datetime(2025, 6, 10, 9) - dt.timedelta(days=12 * (k + 1))
            mid = f"HIST{p}-{k}"
            lines = [{"line_id": f"{mid}-{n}", "mdtrt_id": mid, "hilist_code": drugs[(p + n) % len(drugs)] + "01010012345",
                      "hilist_name": "历史药品", "med_chrgitm_type": "09", "cnt_milli": 2000, "pric_fen": 1250,
                      "amt_fen": 2500, "fee_ocur_time": day.strftime("%Y-%m-%d %H:%M:%S"), "prd_days": 7,
                      "refund_flag": 0} for n in range(8)]
            enc = {"mdtrt_id": mid, "psn_no": f"P{p:05d}", "fixmedins_code": institution, "med_type": "11",
                   "visit_type": "outpatient", "adm_time": day.strftime("%Y-%m-%d %H:%M:%S"),
                   "setl_time": day.strftime("%Y-%m-%d %H:%M:%S"), "psn_admdvs": "440106",
                   "medins_admdvs": "440106", "insutype": "310", "medfee_sumamt_fen": 20000,
                   "fund_pay_fen": 14000, "psn_pay_fen": 6000}
            inst = {"fixmedins_code": institution, "fixmedins_name": "基准医院", "fixmedins_type": "hospital",
                    "medins_lv": 2, "admdvs": "440106"}
            hist.write(institution, mid, f"P{p:05d}", day, {"institutions": [inst], "encounters": [enc],
                                                            "fee_lines": lines})
    return key


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * q))]


async def _drive(url: str, key: str, bodies: list[bytes], rate: int, seconds: float) -> dict[str, Any]:
    import httpx

    n = int(rate * seconds)
    lat: list[float] = []
    stages: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    # 10 s: the HIS-side audit timeout seen in the field (znsh_audit_timeout = 10000 ms, DOMAIN.md §3.5)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=10.0,
                                 headers={"X-API-Key": key, "Content-Type": "application/json"}) as client:
        async def one(i: int, due: float) -> None:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                resp = await client.post("/api/3101", content=bodies[i % len(bodies)])
            except Exception as exc:  # noqa: BLE001 - counted, not raised
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                return
            lat.append(time.perf_counter() - due)
            if resp.status_code != 200:
                errors[str(resp.status_code)] = errors.get(str(resp.status_code), 0) + 1
                return
            for part in resp.headers.get("server-timing", "").split(","):
                name, _, dur = part.strip().partition(";dur=")
                if dur:
                    stages.setdefault(name, []).append(float(dur))

        start = time.perf_counter() + 0.2
        tasks = [asyncio.create_task(one(i, start + i / rate)) for i in range(n)]
        _, pending = await asyncio.wait(tasks, timeout=seconds + 15)
        for t in pending:
            t.cancel()
        if pending:
            errors["unfinished"] = len(pending)
        elapsed = time.perf_counter() - start
    return {"rate": rate, "sent": n, "ok": len(lat) - sum(v for k, v in errors.items() if k.isdigit()),
            "achieved": len(lat) / elapsed, "p50": _pct(lat, 0.5) * 1000, "p99": _pct(lat, 0.99) * 1000,
            "errors": errors, "stages": {k: (_pct(v, 0.5), _pct(v, 0.99)) for k, v in stages.items()}}


_WRK_LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = "%(key)s"
local f = io.open("%(body)s", "rb"); wrk.body = f:read("*a"); f:close()
done = function(summary, latency, requests)
  io.write(string.format("WRK %%.1f %%.2f %%.2f %%.2f %%d\\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def _wrk(url: str, key: str, body: bytes, tmp: Path, seconds: float) -> None:
    """Closed-loop load from wrk (C, so the load generator does not steal the workers' CPU the way a
    Python client does): throughput and latency at 1, 4 and 16 connections."""
    import shutil

    if shutil.which("wrk") is None:
        print("wrk not installed (apt-get install wrk): closed-loop figures skipped")
        return
    (tmp / "body.json").write_bytes(body)
    (tmp / "post.lua").write_text(_WRK_LUA % {"key": key, "body": tmp / "body.json"})
    print(f"{'conns':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} errors   (wrk, closed loop)")
    for conns in (1, 4, 16):
        out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{max(2, int(seconds))}s", "-s", str(tmp / "post.lua"),
                              f"{url}/api/3101"], capture_output=True, text=True).stdout
        line = next((ln for ln in out.splitlines() if ln.startswith("WRK ")), "")
        if line:
            rps, p50, p99, mx, errs = line.split()[1:]
            print(f"{conns:>6} {float(rps):>8.0f} {float(p50):>8.2f} {float(p99):>8.2f} {float(mx):>8.2f} {errs:>6}")


def main() -> None:
    import httpx

    from medaudit.knowledge import default_knowledge

    seconds = float(os.environ.get("BENCH_API_SECONDS", "8"))
    kb = default_knowledge()
    drugs = [r for r in kb.tables["kb_drug"].column("code_prefix").to_pylist() if len(r) == 12][:200]
    items = [r for r in kb.tables["kb_item"].column("code_prefix").to_pylist() if len(r) == 15][:200]
    institution = "H44010600001"
    tmp = Path(tempfile.mkdtemp(prefix="medaudit-bench-api-"))
    state_url, history_url = f"sqlite:///{tmp / 'state.db'}", f"sqlite:///{tmp / 'history.db'}"
    key = _seed(state_url, history_url, drugs, institution)
    bodies = [__import__("json").dumps(_prescription(i, drugs, items, institution), ensure_ascii=False).encode()
              for i in range(500)]
    port = _free_port()
    # the load is one key at up to 1,000 req/s: the per-key limits would answer 429, not measure the audit;
    # request log off (level ERROR) so the figures are comparable with earlier runs
    env = {**os.environ, "MEDAUDIT_DATABASE_URL": state_url, "MEDAUDIT_HISTORY_URL": history_url,
           "MEDAUDIT_RATE_LIMIT_PER_MINUTE": "0", "MEDAUDIT_LOOKUP_LIMIT_PER_MINUTE": "0",
           "MEDAUDIT_REQUEST_LOG_LEVEL": os.environ.get("MEDAUDIT_REQUEST_LOG_LEVEL", "ERROR")}
    exe = Path(sys.executable).with_name("medaudit")
    cmd = [str(exe) if exe.exists() else sys.executable, *([] if exe.exists() else ["-m", "medaudit"]),
           "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None:
                raise SystemExit(f"server failed to start: {server.stderr.read().decode() if server.stderr else ''}")
            time.sleep(0.2)
        # warm both workers
        with httpx.Client(base_url=url, headers={"X-API-Key": key, "Content-Type": "application/json"}) as c:
            for b in bodies[:100]:
                c.post("/api/3101", content=b)
            sample = c.post("/api/3101", content=bodies[1]).json()
        print(f"api: 20-line outpatient prescription, {PATIENTS} patients × 6 history visits, "
              f"{sample['rules_run']} rule templates run per request, history encounters read {sample['history_encounters']}, "
              f"results in sample {len(sample['result'])}; serve --workers 2; {seconds:g}s per rate")
        _wrk(url, key, bodies[1], tmp, seconds)
        print(f"{'rate':>6} {'sent':>6} {'achieved':>9} {'p50 ms':>8} {'p99 ms':>8}  errors   | in-process p50/p99 ms: "
              "parse  history  rules  serialise  store")
        for rate in RATES:
            r = asyncio.run(_drive(url, key, bodies, rate, seconds))
            st = r["stages"]
            br = "  ".join(f"{k} {st[k][0]:.2f}/{st[k][1]:.2f}" for k in ("parse", "history", "rules", "serialise", "store")
                           if k in st)
            print(f"{rate:>6} {r['sent']:>6} {r['achieved']:>9.0f} {r['p50']:>8.2f} {r['p99']:>8.2f}  "
                  f"{sum(r['errors'].values()):>6} {r['errors'] or ''} | {br}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
