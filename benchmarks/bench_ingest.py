"""Ingest throughput: a 1M-row fee-line CSV (plus its encounters and patients) through ``ingest``.

Prints rows/s and peak RSS; peak RSS shows that memory stays bounded by batch size, not file size.
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import tempfile
import time
from pathlib import Path

FEE_ROWS = 1_000_000
ENCOUNTERS = 50_000


def generate(folder: Path, fee_rows: int = FEE_ROWS, encounters: int = ENCOUNTERS) -> None:
    rnd = random.Random(7)
    with (folder / "patients.csv").open("w", encoding="utf-8") as fh:
        fh.write("psn_no,psn_name,gend,brdy,insutype,insu_admdvs\n")
        for p in range(encounters // 5):
            fh.write(f"P{p:07d},患者{p},{1 + p % 2},19{50 + p % 50}-0{1 + p % 9}-1{p % 10},310,440100\n")
    with (folder / "encounters.csv").open("w", encoding="utf-8") as fh:
        fh.write("就诊ID,人员编号,机构编码,医疗类别,入院时间,出院时间,参保地,就医地,险种类型,结算时间,医疗费总额,基金支付,个人支付\n")
        for e in range(encounters):
            fh.write(f"E{e:08d},P{e // 5:07d},H44010000001,21,2025-01-0{1 + e % 5} 08:00:00,2025-01-1{e % 10} 10:00:00,"
                     f"440100,440100,310,2025-01-20 10:00:00,1000.00,800.00,200.00\n")
    with (folder / "fee_lines.csv").open("w", encoding="utf-8") as fh:
        fh.write("明细ID,就诊ID,项目编码,项目名称,收费类别,数量,单价,金额,开单医生,费用发生时间\n")
        buf = []
        for i in range(fee_rows):
            cnt = rnd.randint(1, 9)
            pric = rnd.randint(1, 99999)
            buf.append(f"L{i:09d},E{i % encounters:08d},XA11DAW036A001010104127,维生素B1片,09,{cnt},"
                       f"{pric // 100}.{pric % 100:02d},{cnt * pric // 100}.{cnt * pric % 100:02d},D4401000001,"
                       f"2025-01-0{1 + i % 5} 09:{i % 60:02d}:00\n")
            if len(buf) >= 100_000:
                fh.write("".join(buf))
                buf = []
        fh.write("".join(buf))


def main() -> None:
    from medaudit.ingest import ingest

    rows = int(os.environ.get("BENCH_INGEST_ROWS", FEE_ROWS))
    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        src = tmp / "src"
        src.mkdir()
        generate(src, rows)
        size = (src / "fee_lines.csv").stat().st_size
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        report = ingest(src, tmp / "out", progress=False)
        secs = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        fee = report.tables["fee_lines"]
        total = sum(t.read for t in report.tables.values())
        assert fee.read == rows and fee.accepted == rows, fee
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"bench_ingest: {rows:,} fee lines ({size / 1e6:.0f} MB CSV) + {total - rows:,} other rows "
              f"in {secs:.1f} s wall = {total / secs:,.0f} rows/s ({cpu:.1f} s CPU, "
              f"{total / cpu:,.0f} rows per CPU-second); peak RSS {peak_mb:.0f} MB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
