"""Benchmark: `scrapy export` to JSONL from a large archive — records/s and memory along the way.

    python bench/export_bench.py --db ARCHIVE      (e.g. one kept by archive_bench.py --keep)
    python bench/export_bench.py --articles 100000 (builds one first, as archive_bench.py does)

Prints the export rate, and the process's resident memory after 10% of the records and at
the end (flat memory: the two are close whatever the archive's size). Figures, not assertions.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newscrawl.export.release import Filters, export  # noqa: E402


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", help="an existing archive")
    parser.add_argument("--articles", type=int, default=100_000, help="without --db: build an archive this big")
    parser.add_argument("--repeat", type=int, default=5, help="exports timed (the median is printed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        db = Path(args.db) if args.db else Path(work) / "bench.db"
        if not args.db:
            subprocess.run([sys.executable, str(Path(__file__).parent / "archive_bench.py"), "--articles",
                            str(args.articles), "--queries", "1", "--keep", str(db)], check=True)
        samples: dict[str, float] = {"start": rss_mib()}

        def progress(done: int, total: int, seconds: float) -> None:
            if "10%" not in samples and done >= total / 10:
                samples["10%"] = rss_mib()

        rates = []
        for n in range(args.repeat):
            started = time.perf_counter()
            manifest = export(db, Path(work) / f"release-{n}", Filters(), ("jsonl",), progress=progress)
            elapsed = time.perf_counter() - started
            records = manifest["counts"]["records"]
            rates.append(records / elapsed)
            print(f"run {n + 1}: {records:,} records to JSONL in {elapsed:.1f} s = {rates[-1]:,.0f} records/s "
                  f"({manifest['files'][0]['bytes'] / 2**20:,.0f} MiB, with sha256 and manifest counts)", flush=True)
            shutil.rmtree(Path(work) / f"release-{n}")
        samples["end"] = rss_mib()
        print(f"median of {args.repeat}: {statistics.median(rates):,.0f} records/s")
        print("resident memory: " + ", ".join(f"{k} {v:,.0f} MiB" for k, v in samples.items()))


if __name__ == "__main__":
    main()
