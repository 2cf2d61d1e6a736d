"""Model-level query figures on a table loaded from evidence: the mask alone, no window.

    .venv/bin/python benchmarks/query_text.py --frame table.parquet [--repeats 5]

``--frame`` is ``mailbox-audit load --out table.parquet EVIDENCE`` of a synthetic corpus
(``benchmarks/make_corpus.py``). Prints the time to build the free-text index (what the
GUI does on a worker after a load) and, per query, the median wall and CPU time of
``compile_query(q).mask(frame)``: on a shared machine the CPU time is the stabler figure.
The felt figures (keystroke to repaint, in the real window) are ``felt_latency.py``'s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUERIES = ["quarterly 12345", "vendor onboarding", "minutes 148", "rpc", "actor:svc-bes",
           "mailbox:jlee is:nonowner", "operation:MessageOpen -logon_type:Owner"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frame", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--queries", nargs="*", default=QUERIES)
    args = parser.parse_args()

    import pandas as pd

    from app.session import single_chunk
    from forensics import schema
    from forensics.query import compile_query
    from forensics.query.evaluate import is_text
    from forensics.query.text_index import prepare

    started = time.perf_counter()
    frame = pd.read_parquet(args.frame)
    frame = single_chunk(schema.conform(frame) if schema.validate(frame) else frame)
    print(f"{len(frame):,} rows read in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    prepare(frame, is_text)
    print(f"free-text index built in {time.perf_counter() - started:.1f} s (on a worker after a load, once)")
    print(f"\nquery mask, median of {args.repeats} (wall / CPU):")
    for text in args.queries:
        walls, cpus = [], []
        for _ in range(args.repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            mask = compile_query(text).mask(frame)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        print(f"  {statistics.median(walls) * 1000:7.0f} ms wall {statistics.median(cpus) * 1000:7.0f} ms CPU  "
              f"{text!r} ({int(mask.sum()):,} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
