"""DRG grouping throughput: 1M stays aimed at every ADRG of the tables (real 医保版 codes).

Prints stays/s wall and CPU for one process and for the default worker count (2 cores here), with
CPU seconds beside wall seconds because the build machine is shared.
"""

from __future__ import annotations

import time

STAYS = 1_000_000


def _children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> None:
    import pyarrow as pa

    from medaudit.drg.batch import STAY_SCHEMA, default_workers, group_table
    from medaudit.drg.sample import StaySampler
    from medaudit.drg.service import default_grouper

    t0 = time.perf_counter()
    grouper = default_grouper()
    print(f"drg load tables: {time.perf_counter() - t0:.1f} s")
    sampler = StaySampler(grouper, seed=7)
    rows = []
    for _ in range(STAYS):
        s = sampler.stay()
        rows.append({"sex": s.sex, "age": s.age, "age_days": s.age_days, "weight": s.weight, "dx": s.dx,
                     "procs": s.procs})
    stays = pa.Table.from_pylist(rows, schema=STAY_SCHEMA)
    del rows
    for workers in sorted({1, default_workers()}):
        t1, c1, k1 = time.perf_counter(), time.process_time(), _children_cpu()
        res = group_table(grouper, stays, workers)
        wall = time.perf_counter() - t1
        cpu = time.process_time() - c1 + _children_cpu() - k1
        drgs = len(set(res.column("drg").to_pylist()))
        print(f"drg group {stays.num_rows:,} stays, {workers} process(es): {wall:.2f} s wall "
              f"-> {stays.num_rows / wall:,.0f} stays/s; {cpu:.2f} s CPU -> {stays.num_rows / cpu:,.0f} stays per "
              f"CPU-second (the wall figure on an idle machine is about workers × this); {drgs} distinct DRGs")


if __name__ == "__main__":
    main()
