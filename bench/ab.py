#!/usr/bin/env python3
"""Interleaved A/B of checkoutd builds or settings on one database.

How a piece of speed machinery earns its place (README, "Simplicity"):
build the code with and without it, then

    python3 bench/ab.py [--backend sqlite|postgres] [--size 1000]
        [--rounds 5] [--seconds 5] [--conc 16]
        [--scenarios retrieve,metadata,line_items,create]
        'with=target/release/checkoutd'
        'without=/tmp/checkoutd-without'
        'nocache=target/release/checkoutd --db-cache-mib 0'
        'env=SOME_VAR=1 /tmp/checkoutd-variant'

A variant is `name=` then optional `VAR=value` words (its environment),
the binary, and extra `serve` arguments. The database is seeded once, with
bench.py's fixtures. Each round starts every variant in turn (the order
rotates from round to round) on that database, warms each scenario up and
measures it with wrk, so slow drift of the host hits every variant alike.
Prints each variant's median requests/s per scenario, its range, and the
ratio of medians to the first variant. Any failed request fails the run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402


def parse_variant(spec: str) -> tuple[str, dict, list[str]]:
    name, _, rest = spec.partition("=")
    words = rest.split()
    env = dict(os.environ)
    while words and "=" in words[0] and not words[0].startswith(("/", ".")):
        k, _, v = words.pop(0).partition("=")
        env[k] = v
    if not name or not words:
        raise SystemExit(f"bad variant {spec!r}: want name=[VAR=value ...] BINARY [ARGS ...]")
    return name, env, [str(Path(words[0]).resolve())] + words[1:]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", default="sqlite", choices=("sqlite", "postgres"))
    ap.add_argument("--size", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--conc", type=int, default=16)
    ap.add_argument("--scenarios", default="retrieve,metadata,line_items,create")
    ap.add_argument("variants", nargs="+")
    a = ap.parse_args()
    variants = [parse_variant(v) for v in a.variants]
    scenarios = [s for s in a.scenarios.split(",") if s]
    if a.backend == "postgres" and not bench.postgres_up():
        raise SystemExit("PostgreSQL is not reachable at BENCH_PG_URL")

    cfg = bench.Config(a.backend, a.size, "sk_test_" + "ab" * 12)
    cfg.prepare()
    assert cfg.server
    cfg.server.stop()
    rps: dict[tuple[str, str], list[float]] = {}
    try:
        for rnd in range(a.rounds):
            shift = rnd % len(variants)
            for name, env, argv in variants[shift:] + variants[:shift]:
                server = bench.Server(
                    f"{name} (round {rnd + 1})",
                    argv[:1] + ["serve", "--addr", "127.0.0.1:0", "--database-url", cfg.db_url,
                                "--api-keys", cfg.key, "--worker-poll-ms", "1000",
                                "--log-format", "json"] + argv[1:],
                    cfg.dir / f"ab-{name}.log", env=env).start()
                try:
                    for scenario in scenarios:
                        data = cfg.files[scenario]
                        if a.warmup:
                            bench.wrk(server.url, scenario, cfg.key, data, a.conc, a.warmup)
                        r = bench.wrk(server.url, scenario, cfg.key, data, a.conc, a.seconds)
                        bench.check(r, f"{name} {scenario}")
                        rps.setdefault((name, scenario), []).append(r["rps"])
                        bench.log(f"round {rnd + 1} {name} {scenario}: {r['rps']:.0f} req/s")
                finally:
                    server.stop()
    finally:
        cfg.server = None
        cfg.finish()

    base = variants[0][0]
    print(f"\n{a.backend}, {a.size:,} stored, c{a.conc}, {a.rounds} rounds of {a.seconds} s, "
          f"median req/s (range), ratio of medians to {base}\n")
    print("| scenario | " + " | ".join(v[0] for v in variants) + " |")
    print("|---|" + "---|" * len(variants))
    for scenario in scenarios:
        b = statistics.median(rps[(base, scenario)])
        cells = []
        for name, _, _ in variants:
            xs = rps[(name, scenario)]
            m = statistics.median(xs)
            cells.append(f"{m:,.0f} ({min(xs):,.0f}–{max(xs):,.0f}) {m / b:.2f}×")
        print(f"| {scenario} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
