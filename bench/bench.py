#!/usr/bin/env python3
"""checkoutd's benchmark: one command (`scripts/bench`), see bench/README.md.

Starts every server itself on 127.0.0.1 — checkoutd on SQLite, checkoutd on
PostgreSQL, `floor` (the same HTTP stack serving a fixed session document
from memory) and localstripe (PaymentIntent retrieve and metadata update,
its closest operations) — loads the stored sessions with `seed`, creates the
fixtures over the API, drives each scenario at each concurrency with wrk,
fails a run that saw any non-2xx or socket error, and writes the table, the
targets, a profile and the machine facts to BENCHMARKS.md.

Settings (environment):
  BENCH_SECONDS=10            measured seconds per run
  BENCH_WARMUP=2              unmeasured seconds per scenario before its runs
  BENCH_SIZES=1000,1000000    stored sessions per configuration
  BENCH_CONCURRENCY=16,64     wrk connections
  BENCH_BACKENDS=sqlite,postgres
  BENCH_SCENARIOS=retrieve,metadata,line_items,create,list
  BENCH_PEERS=floor,localstripe
  BENCH_PROFILE=1             perf profile of retrieve/metadata/line_items
                              at the largest size (0: none)
  BENCH_PG_URL=postgres://postgres@127.0.0.1:5432
  BENCH_OUTPUT=BENCHMARKS.md  (relative to the repository)
  BENCH_KEEP=0                keep the databases afterwards
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
WORK = ROOT / "target" / "bench"
BIN = ROOT / "target" / "release"
LUA = ROOT / "bench" / "scenario.lua"
LOCALSTRIPE_VERSION = "1.15.10"


def env_list(name: str, default: str) -> list[str]:
    return [x.strip() for x in os.environ.get(name, default).split(",") if x.strip()]


SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "2"))
SIZES = [int(x) for x in env_list("BENCH_SIZES", "1000,1000000")]
CONCURRENCY = [int(x) for x in env_list("BENCH_CONCURRENCY", "16,64")]
BACKENDS = env_list("BENCH_BACKENDS", "sqlite,postgres")
SCENARIOS = env_list("BENCH_SCENARIOS", "retrieve,metadata,line_items,create,list")
PEERS = env_list("BENCH_PEERS", "floor,localstripe")
PROFILE = os.environ.get("BENCH_PROFILE", "1") not in ("0", "", "no")
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
OUTPUT = ROOT / os.environ.get("BENCH_OUTPUT", "BENCHMARKS.md")
KEEP = os.environ.get("BENCH_KEEP", "0") not in ("0", "", "no")
WRK_THREADS = 2
PROFILE_SECONDS = 5

# Fixtures made over the API in every configuration.
LINE_SESSIONS = 200  # sessions with 3 line items (line-item update)
LIST_SESSIONS = 20  # completed with LIST_EMAIL (list filter)
LIST_EMAIL = "bench-list@example.com"
LS_INTENTS = 200  # localstripe PaymentIntents

WRITES = ("metadata", "line_items", "create")
TITLES = {
    "retrieve": "retrieve session",
    "metadata": "update metadata",
    "line_items": "update line items",
    "create": "create (2 items)",
    "list": "list 10 by email",
    "pi_retrieve": "retrieve PaymentIntent",
    "pi_metadata": "update PI metadata",
}


class BenchError(Exception):
    pass


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------- processes


class Server:
    """A server process started by the benchmark, stopped by its pid."""

    def __init__(self, name: str, argv: list[str], logfile: Path, env: dict | None = None):
        self.name = name
        self.argv = argv
        self.logfile = logfile
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self, timeout: float = 60) -> "Server":
        self.logfile.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.logfile, "ab")
        self.proc = subprocess.Popen(
            self.argv,
            stdout=subprocess.PIPE,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
            env=self.env,
            cwd=WORK,
        )
        found: list[str] = []
        ready = threading.Event()

        def pump() -> None:
            assert self.proc and self.proc.stdout
            for raw in self.proc.stdout:
                self._log.write(raw)
                self._log.flush()
                m = re.search(rb"(?:listening on|Running on) (http://[0-9.]+:\d+)", raw)
                if m and not found:
                    found.append(m.group(1).decode())
                    ready.set()
            ready.set()

        threading.Thread(target=pump, daemon=True).start()
        if not ready.wait(timeout) or not found:
            self.stop()
            raise BenchError(f"{self.name} did not start; see {self.logfile}")
        self.url = found[0]
        return self

    @property
    def pid(self) -> int:
        assert self.proc
        return self.proc.pid

    def status_kb(self, field: str) -> int:
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def reset_peak(self) -> bool:
        """Reset VmHWM to the current RSS (Linux clear_refs 5)."""
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
            return True
        except OSError:
            return False

    def stop(self) -> None:
        if not self.proc:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


def run(cmd: list[str], timeout: float, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, timeout=timeout, check=True, **kw)


# -------------------------------------------------------------------- API


class Api:
    """A keep-alive client for fixtures (form-encoded, Stripe style)."""

    def __init__(self, url: str, key: str):
        u = urllib.parse.urlparse(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        self.key = key

    def call(self, method: str, path: str, params: list | None = None) -> tuple[int, bytes]:
        body = urllib.parse.urlencode(params or [])
        headers = {"Authorization": f"Bearer {self.key}"}
        if method == "GET":
            if body:
                path = f"{path}?{body}"
            body = None
        else:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        r = self.conn.getresponse()
        return r.status, r.read()

    def ok(self, method: str, path: str, params: list | None = None) -> dict:
        status, raw = self.call(method, path, params)
        if status // 100 != 2:
            raise BenchError(f"{method} {path} → {status}: {raw[:300]!r}")
        return json.loads(raw)

    def close(self) -> None:
        self.conn.close()


def metrics(url: str) -> dict[str, int]:
    u = urllib.parse.urlparse(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    c.close()
    out = {}
    for cls in ("2xx", "4xx", "5xx"):
        m = re.search(r'checkoutd_responses_total\{class="%s"\} (\d+)' % cls, text)
        out[cls] = int(m.group(1)) if m else 0
    return out


# -------------------------------------------------------------------- wrk


def wrk(url: str, scenario: str, key: str, data: Path, conc: int, seconds: int) -> dict:
    cmd = [
        "wrk", "-t", str(min(WRK_THREADS, conc)), "-c", str(conc), "-d", f"{seconds}s",
        "--timeout", "10s", "-s", str(LUA), url, "--", scenario, key, str(data),
    ]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if p.returncode != 0 or not lines:
        raise BenchError(f"wrk failed ({p.returncode}): {p.stdout[-500:]} {p.stderr[-500:]}")
    r = json.loads(lines[-1])
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    return r


TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of one process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def postgres_cpu(db: str | None) -> dict[int, float]:
    """CPU seconds of the PostgreSQL processes that serve `db`: its backends
    and the cluster's background processes (not other databases' backends)."""
    out = {}
    if not db:
        return out
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{d}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if not cmd.startswith("postgres"):
            continue
        # "postgres: 15/main: checkpointer", "postgres: postgres DB 127.0.0.1(…) idle"
        parts = cmd.split()
        background = len(parts) >= 2 and parts[1].endswith(":") and "/" in parts[1]
        if f" {db} " in cmd or background:
            out[int(d)] = proc_cpu(int(d))
    return out


def cpu_snapshot(server_pid: int, pg_db: str | None = None) -> dict:
    """Busy CPU seconds of the machine, of the server (and the PostgreSQL
    processes serving it), and of finished children (wrk)."""
    import resource

    cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in cpu[:8])
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "t": time.monotonic(),
        "busy": (user + nice + system + irq + softirq + steal) / TICK,
        "server": proc_cpu(server_pid),
        "pg": postgres_cpu(pg_db),
        "children": ru.ru_utime + ru.ru_stime,
    }


def cpu_use(a: dict, b: dict) -> dict:
    """Average cores used between two snapshots: server (+ PostgreSQL), wrk,
    everything else on the machine."""
    dt = max(b["t"] - a["t"], 1e-6)
    pg = sum(v - a["pg"].get(pid, 0.0) for pid, v in b["pg"].items())
    server = (b["server"] - a["server"] + pg) / dt
    wrk_ = (b["children"] - a["children"]) / dt
    busy = (b["busy"] - a["busy"]) / dt
    return {"srv_cores": server, "wrk_cores": wrk_, "other_cores": max(0.0, busy - server - wrk_)}


def check(r: dict, what: str) -> None:
    bad = {k: v for k, v in r["errors"].items() if v}
    if r["requests"] == 0:
        bad["requests"] = 0
    if bad:
        raise BenchError(f"{what}: failed requests {bad} of {r['requests']}")


# ------------------------------------------------------------ the servers


def checkoutd_argv(db_url: str, key: str) -> list[str]:
    return [
        str(BIN / "checkoutd"), "serve", "--addr", "127.0.0.1:0", "--database-url", db_url,
        "--api-keys", key, "--worker-poll-ms", "1000", "--log-format", "json",
    ]


def fresh_db(backend: str, size: int) -> str:
    if backend == "sqlite":
        path = WORK / "db" / f"sqlite-{size}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-lock"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite://{path}"
    name = f"checkoutd_bench_{size}"
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{name}"')
    return f"{PG_URL}/{name}"


def drop_db(backend: str, db_url: str) -> None:
    if KEEP:
        return
    if backend == "sqlite":
        path = db_url.removeprefix("sqlite://")
        for suffix in ("", "-wal", "-shm", "-lock"):
            Path(path + suffix).unlink(missing_ok=True)
    else:
        psql(f'DROP DATABASE IF EXISTS "{db_url.rsplit("/", 1)[1]}" WITH (FORCE)')


def psql(sql: str, db: str = "postgres") -> str:
    p = run(["psql", f"{PG_URL}/{db}", "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
            timeout=600, capture_output=True, text=True)
    return p.stdout.strip()


def postgres_up() -> bool:
    def ready() -> bool:
        try:
            psql("SELECT 1")
            return True
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, FileNotFoundError):
            return False

    if ready():
        return True
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if versions:
        log(f"starting PostgreSQL {versions[-1]}")
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
                       timeout=60)
        for _ in range(30):
            if ready():
                return True
            time.sleep(1)
    return False


class Config:
    """checkoutd on one backend with `size` stored sessions."""

    def __init__(self, backend: str, size: int, key: str):
        self.backend, self.size, self.key = backend, size, key
        self.dir = WORK / f"{backend}-{size}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.files: dict[str, Path] = {}
        self.server: Server | None = None
        self.db_url = ""
        self.wedged: list[str] = []
        self.restarts = 0
        self.last_run = ""
        self.probe_id = ""
        self.pg_db: str | None = None

    def server_for(self, tag: str) -> Server:
        return Server(f"checkoutd ({self.backend}, {tag})", checkoutd_argv(self.db_url, self.key),
                      self.dir / f"checkoutd-{tag}.log")

    def prepare(self) -> None:
        self.db_url = fresh_db(self.backend, self.size)
        if self.backend == "postgres":
            self.pg_db = self.db_url.rsplit("/", 1)[1]
        # 1. First start: migrations, the account and its key; the prices
        #    the seeded sessions and the create scenario use.
        s = self.server_for("setup").start()
        api = Api(s.url, self.key)
        prices = []
        for name, amount in (("T-shirt", 1999), ("Mug", 1250), ("Poster", 800)):
            p = api.ok("POST", "/v1/prices", [("currency", "usd"), ("unit_amount", amount),
                                               ("product_data[name]", name)])
            prices.append(p["id"])
        api.close()
        s.stop()
        # 2. The stored sessions, straight into the database.
        fixtures = LINE_SESSIONS + LIST_SESSIONS
        count = max(0, self.size - fixtures)
        sample = self.dir / "seeded-ids.txt"
        t0 = time.time()
        p = run([str(BIN / "seed"), "--database-url", self.db_url, "--count", str(count),
                 "--sample-out", str(sample)], timeout=1800, capture_output=True, text=True)
        # The seed writes without syncing; flush its gigabytes now, or the
        # server's first checkpoint fsync would pay for them mid-run.
        os.sync()
        self.seed_seconds = time.time() - t0
        self.seed_line = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
        log(f"{self.backend}: {self.seed_line}")
        # 3. The server under test, and the fixtures over its API.
        self.server = self.server_for("bench").start()
        api = Api(self.server.url, self.key)
        lines = []
        for i in range(LINE_SESSIONS):
            s = api.ok("POST", "/v1/checkout/sessions", [
                ("mode", "payment"), ("success_url", "https://example.com/success"),
                ("cancel_url", "https://example.com/cancel"),
                ("line_items[0][price]", prices[0]), ("line_items[0][quantity]", 1),
                ("line_items[1][price]", prices[1]), ("line_items[1][quantity]", 2),
                ("line_items[2][price]", prices[2]), ("line_items[2][quantity]", 3),
                ("metadata[fixture]", f"line-{i}"), ("expand[]", "line_items"),
            ])
            lines.append(" ".join([s["id"]] + [li["id"] for li in s["line_items"]["data"]]))
        for i in range(LIST_SESSIONS):
            s = api.ok("POST", "/v1/checkout/sessions", [
                ("mode", "payment"), ("success_url", "https://example.com/success"),
                ("line_items[0][price]", prices[0]), ("line_items[0][quantity]", 1),
                ("line_items[1][price]", prices[1]), ("line_items[1][quantity]", 2),
            ])
            api.ok("POST", f"/v1/test_helpers/checkout/sessions/{s['id']}/complete",
                   [("email", LIST_EMAIL), ("name", f"Bench {i}")])
        ids = [l for l in sample.read_text().splitlines() if l.strip()]
        if len(ids) < 100:
            ids += [l.split()[0] for l in lines]
        self.probe_id = lines[0].split()[0]
        self.write("retrieve", ids)
        self.write("metadata", ids)
        self.write("line_items", lines)
        self.write("create", [f"{prices[0]} {prices[1]}"])
        self.write("list", [LIST_EMAIL])
        # Documents for the floor: a real session and a real list response.
        self.session_doc = self.dir / "session.json"
        self.list_doc = self.dir / "list.json"
        _, raw = api.call("GET", f"/v1/checkout/sessions/{ids[len(ids) // 2]}")
        self.session_doc.write_bytes(raw)
        _, raw = api.call("GET", "/v1/checkout/sessions",
                          [("limit", 10), ("customer_details[email]", LIST_EMAIL)])
        self.list_doc.write_bytes(raw)
        api.close()

    def ensure_writable(self) -> None:
        """Probe one write before a measured run. A checkoutd whose writes
        fail (see WEDGED in the report) is restarted on the same database,
        and the event is recorded."""
        assert self.server
        status, raw = 0, b""
        try:
            api = Api(self.server.url, self.key)
            status, raw = api.call("POST", f"/v1/checkout/sessions/{self.probe_id}",
                                   [("metadata[probe]", str(int(time.time() * 1000)))])
            api.close()
        except OSError as e:
            raw = str(e).encode()
        if status // 100 == 2:
            return
        self.wedged.append(f"{self.backend} {self.size:,}, after {self.last_run}: a write answered "
                           f"{status} {raw[:160].decode(errors='replace')}")
        log(f"WEDGED: checkoutd ({self.backend}) fails writes after {self.last_run}; restarting it")
        self.server.stop()
        self.restarts += 1
        self.server = self.server_for(f"bench-{self.restarts + 1}").start()

    def write(self, scenario: str, records: list[str]) -> None:
        path = self.dir / f"{scenario}.txt"
        path.write_text("\n".join(records) + "\n")
        self.files[scenario] = path

    def finish(self) -> None:
        if self.server:
            self.server.stop()
        drop_db(self.backend, self.db_url)


# ------------------------------------------------------------------ runs


class Peer:
    """floor or localstripe: nothing to probe."""

    def __init__(self, server: Server):
        self.server = server
        self.last_run = ""

    def ensure_writable(self) -> None:
        pass


def measure(target, label: dict, scenario: str, data: Path, key: str,
            results: list, failures: list, is_checkoutd: bool, floor: Server | None = None) -> None:
    """Run `scenario` at each concurrency against `target` and append a row
    per run. With `floor`, the floor server runs the same scenario at the
    same concurrency right after each run (`paired`, see PAIRED_TEXT)."""
    for i, conc in enumerate(CONCURRENCY):
        row = dict(label, scenario=scenario, conc=conc)
        what = f"{label['server']} {label.get('store', '')} {label.get('size', '')} {scenario} c{conc}"
        try:
            if i == 0 and WARMUP > 0:
                target.last_run = f"the {scenario} warm-up"
                wrk(target.server.url, scenario, key, data, max(CONCURRENCY), WARMUP)
            target.ensure_writable()
            server = target.server
            server.reset_peak()
            before = metrics(server.url) if is_checkoutd else None
            target.last_run = f"{scenario} c{conc}"
            pg_db = getattr(target, "pg_db", None)
            cpu0 = cpu_snapshot(server.pid, pg_db)
            r = wrk(server.url, scenario, key, data, conc, SECONDS)
            cpu1 = cpu_snapshot(server.pid, pg_db)
            row.update(rps=r["rps"], p50=r["p50_us"] / 1000, p99=r["p99_us"] / 1000,
                       requests=r["requests"], rss=server.status_kb("VmHWM") / 1024,
                       **cpu_use(cpu0, cpu1))
            check(r, what)
            if before is not None:
                after = metrics(server.url)
                bad = {c: after[c] - before[c] for c in ("4xx", "5xx") if after[c] - before[c]}
                if bad:
                    raise BenchError(f"{what}: the server counted non-2xx responses {bad}")
            log(f"{what}: {r['rps']:.0f} req/s, p50 {r['p50_us'] / 1000:.2f} ms, "
                f"p99 {r['p99_us'] / 1000:.2f} ms, peak RSS {row['rss']:.0f} MiB, cores: server "
                f"{row['srv_cores']:.2f} wrk {row['wrk_cores']:.2f} others {row['other_cores']:.2f}")
            if floor is not None:
                # A failed floor run fails the benchmark, not this row.
                try:
                    row["paired"] = paired_floor(floor, scenario, key, data, conc, what)
                except (BenchError, subprocess.SubprocessError, OSError) as e:
                    failures.append(str(e))
                    log(f"FAILED {e}")
        except (BenchError, subprocess.SubprocessError, OSError) as e:
            row["failed"] = str(e)
            failures.append(str(e))
            log(f"FAILED {e}")
        results.append(row)


def paired_floor(floor: Server, scenario: str, key: str, data: Path, conc: int, what: str) -> dict:
    """The floor's rate and CPU per request on `scenario` at `conc`, run
    right after checkoutd's run of it."""
    cpu0 = cpu_snapshot(floor.pid)
    r = wrk(floor.url, scenario, key, data, conc, SECONDS)
    cpu1 = cpu_snapshot(floor.pid)
    check(r, f"floor paired with {what}")
    cores = cpu_use(cpu0, cpu1)["srv_cores"]
    log(f"  floor right after: {r['rps']:.0f} req/s, cores {cores:.2f}")
    return {"rps": r["rps"], "srv_cores": cores}


def floor_runs(rows: list[dict]) -> dict:
    """The floor's own runs that succeeded, by (scenario, concurrency)."""
    return {(r["scenario"], r["conc"]): r for r in rows if "failed" not in r and r["server"] == "floor"}


def floor_of(r: dict, floor_rows: dict) -> dict | None:
    """The floor measurement row `r` is compared with: its paired run, or
    else the floor's own run of the same scenario and concurrency."""
    return r.get("paired") or floor_rows.get((r["scenario"], r["conc"]))


# The one statement each operation needs, by primary key, for pgbench.
PG_ALONE = {
    "retrieve": "SELECT id, created, version, data FROM objects WHERE seq = :s;",
    "metadata": "UPDATE objects SET version = version + 1, data = data WHERE seq = :s;",
}


def pgbench_bin() -> str | None:
    found = shutil.which("pgbench")
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench")) if Path("/usr/lib/postgresql").is_dir() else []
    return str(versions[-1]) if versions else None


def pg_alone(cfg: Config, alone: list, failures: list) -> None:
    """PostgreSQL by itself on the configuration's database: pgbench runs
    the statement of a retrieve and of a metadata update, by primary key
    on random stored sessions, at each concurrency. That rate bounds what
    any server answering over HTTP and querying PostgreSQL once per
    request can reach on these cores (see the report's section)."""
    pgbench = pgbench_bin()
    if not pgbench or not cfg.pg_db:
        failures.append("pgbench not found: PostgreSQL alone was not measured")
        return
    lo, hi = psql("SELECT min(seq), max(seq) FROM objects WHERE kind = 'checkout.session'", cfg.pg_db).split("|")
    for scenario, statement in PG_ALONE.items():
        if scenario not in SCENARIOS:
            continue
        script = cfg.dir / f"pgbench-{scenario}.sql"
        script.write_text(f"\\set s random({lo}, {hi})\n{statement}\n")
        for conc in CONCURRENCY:
            what = f"PostgreSQL alone {cfg.size:,} {scenario} c{conc}"
            try:
                p = run([pgbench, "-n", "-M", "prepared", "-c", str(conc), "-j", str(WRK_THREADS),
                         "-T", str(SECONDS), "-f", str(script), f"{PG_URL}/{cfg.pg_db}"],
                        timeout=SECONDS + 120, capture_output=True, text=True)
                tps = float(re.search(r"^tps = ([\d.]+)", p.stdout, re.M).group(1))
                lat = float(re.search(r"^latency average = ([\d.]+) ms", p.stdout, re.M).group(1))
                failed = re.search(r"^number of failed transactions: (\d+)", p.stdout, re.M)
                if failed and int(failed.group(1)):
                    raise BenchError(f"{what}: {failed.group(1)} failed transactions")
            except (BenchError, subprocess.SubprocessError, OSError, AttributeError) as e:
                failures.append(f"{what}: {e}")
                log(f"FAILED {what}: {e}")
                continue
            alone.append(dict(size=cfg.size, scenario=scenario, conc=conc, rps=tps, latency=lat))
            log(f"{what}: {tps:.0f} transactions/s, latency average {lat:.2f} ms")


def profile(cfg: Config, scenario: str) -> str:
    """A system-wide perf profile (cpu-clock: this VM has no hardware
    counters) while wrk runs the scenario; returns its Markdown summary."""
    import perfsummary

    cfg.ensure_writable()
    server = cfg.server
    out = cfg.dir / f"perf-{scenario}.data"
    conc = max(CONCURRENCY)
    rec = subprocess.Popen(
        ["perf", "record", "-a", "-e", "cpu-clock", "-F", "499", "--call-graph", "dwarf,16384",
         "-o", str(out), "--", "sleep", str(PROFILE_SECONDS)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        cfg.last_run = f"the {scenario} profile"
        r = wrk(server.url, scenario, cfg.key, cfg.files[scenario], conc, PROFILE_SECONDS)
    finally:
        rec.wait(timeout=PROFILE_SECONDS + 120)
    title = (f"{cfg.backend}, {cfg.size:,} stored: {TITLES[scenario]}, c{conc} "
             f"({r['rps']:.0f} req/s while profiled)")
    text = perfsummary.markdown(perfsummary.summarise(str(out), server.pid, cfg.pg_db), title)
    (cfg.dir / f"perf-{scenario}.md").write_text(text)
    if not KEEP:
        out.unlink(missing_ok=True)
    return text


def localstripe(results: list, failures: list, data_dir: Path) -> dict:
    venv = WORK / "venv"
    py = venv / "bin" / "python"
    info = {"version": LOCALSTRIPE_VERSION}
    try:
        if not py.exists():
            run([sys.executable, "-m", "venv", str(venv)], timeout=300)
        run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             f"localstripe=={LOCALSTRIPE_VERSION}"], timeout=900)
        info["python"] = subprocess.run([str(py), "-V"], capture_output=True, text=True).stdout.strip()
        port = free_port()
        server = Server("localstripe", [str(py), "-u", str(ROOT / "bench" / "localstripe_loopback.py"),
                                        str(port)], data_dir / "localstripe.log").start()
    except (BenchError, subprocess.SubprocessError, OSError) as e:
        failures.append(f"localstripe could not run: {e}")
        info["error"] = str(e)
        return info
    try:
        api = Api(server.url, "sk_test_localstripe")
        ids = []
        for i in range(LS_INTENTS):
            pi = api.ok("POST", "/v1/payment_intents", [("amount", 1000 + i), ("currency", "usd")])
            ids.append(pi["id"])
        api.close()
        data = data_dir / "payment_intents.txt"
        data.write_text("\n".join(ids) + "\n")
        label = {"server": "localstripe", "store": "memory", "size": LS_INTENTS}
        for scenario in ("pi_retrieve", "pi_metadata"):
            measure(Peer(server), label, scenario, data, "sk_test_localstripe", results, failures, False)
    finally:
        server.stop()
    return info


# --------------------------------------------------------------- report


def fmt_rps(x: float) -> str:
    return f"{x:,.0f}"


def machine() -> dict:
    facts = {}
    try:
        cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        m = re.search(r"Model name:\s*(.*)", cpu)
        facts["cpu"] = m.group(1).strip() if m else platform.processor()
    except OSError:
        facts["cpu"] = platform.processor()
    facts["cores"] = os.cpu_count()
    mem = Path("/proc/meminfo").read_text()
    kib = int(re.search(r"MemTotal:\s*(\d+)", mem).group(1))
    facts["memory"] = f"{kib / 1048576:.1f} GiB"
    facts["kernel"] = platform.release()
    facts["os"] = platform.freedesktop_os_release().get("PRETTY_NAME", "") if hasattr(platform, "freedesktop_os_release") else ""
    for name, cmd in (("rustc", ["rustc", "-V"]), ("wrk", ["wrk", "-v"])):
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            facts[name] = (out.stdout + out.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            facts[name] = "?"
    lock = (ROOT / "Cargo.lock").read_text()
    m = re.search(r'name = "libsqlite3-sys"\nversion = "([^"]+)"', lock)
    facts["libsqlite3-sys"] = m.group(1) if m else "?"
    return facts


def targets(rows: list[dict], alone=()) -> list[tuple[str, str, str]]:
    """(target, verdict, detail) for every target of the issue."""
    ok = [r for r in rows if "failed" not in r]

    def get(server, store, size, scenario, conc):
        for r in ok:
            if (r["server"], r.get("store"), r.get("size"), r["scenario"], r["conc"]) == (
                    server, store, size, scenario, conc):
                return r
        return None

    ls = {(r["scenario"], r["conc"]): r["rps"] for r in ok if r["server"] == "localstripe"}
    cd = [r for r in ok if r["server"] == "checkoutd"]
    out = []

    def verdict(name: str, cells: list[tuple[str, float, float]], higher: bool = True, unit: str = "×") -> None:
        # cells: (where, value, bound)
        if not cells:
            out.append((name, "not measured", ""))
            return
        failing = [c for c in cells if (c[1] < c[2] if higher else c[1] > c[2])]
        worst = min(cells, key=lambda c: c[1] / c[2]) if higher else max(cells, key=lambda c: c[1] / c[2])
        fmt = (lambda v: f"{v:.2f}{unit}") if unit == "×" else (lambda v: f"{v:.1f} {unit}")
        detail = f"worst {worst[0]}: {fmt(worst[1])}"
        if failing:
            detail += "; misses: " + ", ".join(f"{c[0]} {fmt(c[1])}" for c in failing)
        out.append((name, "**met**" if not failing else "**missed**", detail))

    def where(r):
        return f"{r['store']} {r['size']:,} c{r['conc']}"

    floor_rows = floor_runs(rows)

    def floor_ratio(scenarios, stores, bound, name):
        cells = []
        by_cpu = []
        for r in cd:
            f = floor_of(r, floor_rows)
            if r["scenario"] in scenarios and r["store"] in stores and f:
                cells.append((f"{r['scenario']} {where(r)}", r["rps"] / f["rps"], bound))
                if cpu_us(r):
                    by_cpu.append(cpu_us(f) / cpu_us(r))
        verdict(name, cells)
        if by_cpu and out:
            n, v, d = out[-1]
            lo, hi = f"{min(by_cpu):.2f}", f"{max(by_cpu):.2f}"
            span = lo if lo == hi else f"{lo}–{hi}"
            out[-1] = (n, v, d + f"; by CPU per request (load-independent): {span}×")
        ceilings = [c for r in cd if r["scenario"] in scenarios and r["store"] == "postgres" and "postgres" in stores
                    for c in [ceiling(list(alone), floor_of(r, floor_rows), r["scenario"], r["size"], r["conc"])] if c]
        if ceilings and out:
            n, v, d = out[-1]
            lo, hi = f"{min(ceilings):.2f}", f"{max(ceilings):.2f}"
            span = lo if lo == hi else f"{lo}–{hi}"
            beyond = " (the target is above it: it cannot be met on this machine)" if max(ceilings) < bound else ""
            out[-1] = (n, v, d + f"; ceiling of any PostgreSQL-backed server here (PostgreSQL alone, "
                             f"see below): {span}×{beyond}")

    floor_ratio(("retrieve",), ("sqlite", "postgres"), 0.5, "retrieve ≥ 0.5 × floor")
    floor_ratio(("metadata",), ("sqlite",), 0.3, "metadata update ≥ 0.3 × floor (SQLite)")
    floor_ratio(("line_items",), ("sqlite",), 0.2, "line-item update ≥ 0.2 × floor (SQLite)")
    floor_ratio(("metadata", "line_items"), ("postgres",), 0.15, "updates ≥ 0.15 × floor (PostgreSQL)")
    cells = []
    for r in cd:
        if r["scenario"] in WRITES and ("pi_metadata", r["conc"]) in ls:
            cells.append((f"{r['scenario']} {where(r)}", r["rps"] / ls[("pi_metadata", r["conc"])], 10))
    verdict("every write ≥ 10 × localstripe metadata update", cells)
    cells = []
    if len(SIZES) > 1:
        small, large = min(SIZES), max(SIZES)
        for r in cd:
            if r["size"] == large:
                base = get("checkoutd", r["store"], small, r["scenario"], r["conc"])
                if base:
                    cells.append((f"{r['scenario']} {r['store']} c{r['conc']}", r["rps"] / base["rps"], 0.8))
    verdict(f"{max(SIZES):,} stored ≥ 0.8 × {min(SIZES):,} stored", cells)
    cells = [(f"{r['scenario']} {where(r)}", r["p99"], 10.0) for r in cd
             if r["store"] == "sqlite" and r["conc"] == 64 and r["scenario"] in ("retrieve", "metadata", "line_items")]
    verdict("p99 ≤ 10 ms at c64, retrieve and updates (SQLite)", cells, higher=False, unit="ms")
    cells = [(f"{r['scenario']} {where(r)}", r["rss"], 150.0) for r in cd]
    verdict("peak RSS of checkoutd ≤ 150 MiB", cells, higher=False, unit="MiB")
    return out


def cpu_us(r: dict) -> float:
    """Server CPU time per request in microseconds (checkoutd plus, on
    PostgreSQL, the database's processes)."""
    return r.get("srv_cores", 0.0) * 1e6 / r["rps"] if r.get("rps") else 0.0


def table(rows: list[dict]) -> str:
    ok = {(r["server"], r["scenario"], r["conc"]): r for r in rows if "failed" not in r}
    floor_rows = floor_runs(rows)
    lines = [
        "| server | store | stored | scenario | c | req/s | p50 ms | p99 ms | peak RSS MiB | × floor | × localstripe "
        "| server CPU µs/req | × floor by CPU | cores: server / wrk / others |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    order = {name: i for i, name in enumerate(TITLES)}

    def key(r):
        return ({"floor": 0, "localstripe": 1}.get(r["server"], 2),
                {"sqlite": 0, "postgres": 1}.get(r.get("store"), 0),
                r["size"] if isinstance(r.get("size"), int) else 0,
                order.get(r["scenario"], 99), r["conc"])

    for r in sorted(rows, key=key):
        if "failed" in r:
            size = f"{r['size']:,}" if isinstance(r.get("size"), int) else ""
            lines.append(f"| {r['server']} | {r.get('store', '')} | {size} | {TITLES[r['scenario']]} | "
                         f"{r['conc']} | FAILED | | | | | | | | |")
            continue
        f = floor_of(r, floor_rows) if r["server"] == "checkoutd" else None
        x_floor = f"{r['rps'] / f['rps']:.2f}" if f else "—"
        peer = "pi_retrieve" if r["scenario"] == "retrieve" else ("pi_metadata" if r["scenario"] in WRITES else None)
        l = ok.get(("localstripe", peer, r["conc"])) if peer else None
        x_ls = f"{r['rps'] / l['rps']:.1f}" if l and r["server"] == "checkoutd" else "—"
        size = f"{r['size']:,}" if isinstance(r.get("size"), int) else ""
        x_cpu = f"{cpu_us(f) / cpu_us(r):.2f}" if f and cpu_us(r) else "—"
        lines.append(
            f"| {r['server']} | {r.get('store', '')} | {size} | {TITLES[r['scenario']]} | {r['conc']} | "
            f"{fmt_rps(r['rps'])} | {r['p50']:.2f} | {r['p99']:.2f} | {r['rss']:.0f} | {x_floor} | {x_ls} | "
            f"{cpu_us(r):.0f} | {x_cpu} | "
            f"{r['srv_cores']:.2f} / {r['wrk_cores']:.2f} / {r['other_cores']:.2f} |")
    return "\n".join(lines)


ANALYSIS_BEGIN = "<!-- analysis:begin -->"
ANALYSIS_END = "<!-- analysis:end -->"


WEDGE_TEXT = """\
checkoutd answered a write probe between runs with an error, so the
benchmark restarted it on the same database (the runs themselves are
checked for zero failures as always). Earlier builds had such a defect on
SQLite: a client hanging up mid-write could leave the sqlx writer
connection inside a transaction nobody owned (fixed in 77a56dc; the
rusqlite store has no `.await` inside a transaction at all). A restart
listed here is a new defect to investigate."""


def ceiling(alone: list[dict], floor: dict | None, scenario: str, size, conc: int) -> float | None:
    """The most a PostgreSQL-backed server can reach here, over the floor:
    it spends at least the floor's CPU per request plus PostgreSQL's (as
    pgbench measured it, with PostgreSQL's own lean C client), on the same
    cores, so its rate is at most 1 / (1/floor + 1/pgbench); over the
    floor that is pgbench / (floor + pgbench). Updates use the metadata
    statement."""
    sql = "retrieve" if scenario == "retrieve" else "metadata"
    a = next((r for r in alone if (r["size"], r["scenario"], r["conc"]) == (size, sql, conc)), None)
    return a["rps"] / (floor["rps"] + a["rps"]) if a and floor else None


def alone_table(alone: list[dict], rows: list[dict]) -> str:
    floor_rows = floor_runs(rows)
    cd = {(r["size"], r["scenario"], r["conc"]): r for r in rows
          if "failed" not in r and r["server"] == "checkoutd" and r.get("store") == "postgres"}
    lines = ["| stored | statement of | c | PostgreSQL alone, transactions/s | latency average ms "
             "| ceiling × floor | checkoutd × floor | checkoutd × ceiling |",
             "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for a in sorted(alone, key=lambda r: (r["size"], r["scenario"] != "retrieve", r["conc"])):
        scenario = a["scenario"]
        row = cd.get((a["size"], scenario, a["conc"]))
        floor = floor_of(row, floor_rows) if row else floor_rows.get((scenario, a["conc"]))
        c = ceiling(alone, floor, scenario, a["size"], a["conc"])
        f = floor["rps"] if floor else None
        mine = row["rps"] if row else None
        lines.append(
            f"| {a['size']:,} | {TITLES[scenario]} | {a['conc']} | {fmt_rps(a['rps'])} | {a['latency']:.2f} | "
            f"{f'{c:.2f}' if c else '—'} | {f'{mine / f:.2f}' if mine and f else '—'} | "
            f"{f'{mine / f / c:.2f}' if mine and f and c else '—'} |")
    return "\n".join(lines)


PAIRED_TEXT = """\
This host's speed drifts by the minute: the same binary on the same
database spent 17 µs of user CPU per metadata update in one minute and 28
µs a few minutes later (other tenants' load that the machine's own
counters do not show as steal). A ratio over a floor measured ten minutes
earlier then measures the drift as much as the server. So each checkoutd
run is followed at once by a floor run of the same scenario at the same
concurrency, with the same request stream, and its × floor (and × floor by
CPU, and the PostgreSQL ceiling) is over that run. The floor's own block
of runs, after the first backend's, still gives the floor rows of the
table."""


SIDE_BY_SIDE_TEXT = """\
The target on 1,000,000 stored against 1,000 compares runs of two
configurations, so the same drift applies. Every size of a backend is
therefore prepared first, its server stays up, and each scenario runs on
one size and right after on the next: the two runs of a ratio are a
minute apart, not the whole length of a configuration's block (about six
minutes). Until session 14 the sizes ran one after the other, and two
runs of the same code put lists at 0.78 × and at 0.90 ×, while
interleaved runs of the two files put them at 0.91–1.02 ×. The idle
server of the other size stays up meanwhile (its background threads wake
every few milliseconds and use well under 1 % of a core)."""


ALONE_TEXT = """\
What PostgreSQL itself can do on this machine, for comparison with the
PostgreSQL targets. pgbench (PostgreSQL's own C client, prepared
statements, 2 threads) runs only the statement an operation needs, by
primary key on random stored sessions, on the same database, for the same
seconds and concurrency: a retrieve's `SELECT`, and a metadata update's
`UPDATE` (each its own transaction, committed with `synchronous_commit =
on`). No HTTP, no JSON. A server that answers over HTTP and queries
PostgreSQL once per request spends at least the floor's CPU per request
plus PostgreSQL's, on the same two cores, so it reaches at most
1 / (1/floor + 1/pgbench) requests per second: the **ceiling**, shown over
the floor. A target above the ceiling cannot be met on this machine by
any server design that keeps its state in PostgreSQL."""


def report(rows, facts, notes, profiles, failures, command, started, load_before, load_after, seeds, ls_info,
           wedges=(), alone=()) -> str:
    prev = OUTPUT.read_text() if OUTPUT.exists() else ""
    m = re.search(re.escape(ANALYSIS_BEGIN) + r"(.*?)" + re.escape(ANALYSIS_END), prev, re.S)
    analysis = m.group(1).strip() if m else "_No analysis written for this run yet._"
    out = [
        "# Benchmarks",
        "",
        "Produced by `scripts/bench` (see `bench/README.md`); regenerate with the command below. "
        "Everything runs on this one machine: the servers, the databases and the load generator "
        "(wrk, 2 threads) share its cores.",
        "",
        "```",
        command,
        "```",
        "",
        f"- date: {started:%Y-%m-%d %H:%M} UTC; {SECONDS} s per run after a {WARMUP} s warm-up per scenario; "
        f"concurrency {', '.join(map(str, CONCURRENCY))}; stored sessions {', '.join(f'{s:,}' for s in SIZES)}",
        f"- machine: {facts['cpu']}, {facts['cores']} cores, {facts['memory']}, {facts.get('os', '')}, "
        f"kernel {facts['kernel']}; load average before {load_before}, after {load_after}",
        f"- software: {facts['rustc']}; {facts['wrk']}; SQLite via libsqlite3-sys {facts['libsqlite3-sys']} "
        f"(WAL, synchronous=NORMAL); {facts.get('postgres', 'PostgreSQL not run')}; "
        f"localstripe {ls_info.get('version', '?')} on {ls_info.get('python', '?')}",
        "- checkoutd: release build, `--worker-poll-ms 1000`, default pool (16 connections), JSON logs; "
        "every request authenticates with a Bearer secret key",
    ]
    for s in seeds:
        out.append(f"- seeding {s}")
    for n in notes:
        out.append(f"- {n}")
    out += [
        "",
        "## Results",
        "",
        "req/s over the run; p50/p99 latency as wrk measures it; peak RSS is the server's `VmHWM` "
        "during that run (reset before it); × floor is req/s over the floor server's for the same "
        "scenario and concurrency, run right after it (the floor rows are the floor's own block of runs; "
        "see \"Why the floor runs twice\"); × localstripe is over localstripe's PaymentIntent retrieve (for "
        "retrieve) or metadata update (for every write), at the same concurrency. cores: average "
        "CPU cores used during the run by the server (for PostgreSQL runs: checkoutd plus the "
        "postgres backends of its database and the cluster's background processes), by wrk, and by every other process on the machine (other engineers' "
        "builds and tests: this machine is shared; 2.00 is everything). server CPU µs/req is the "
        "server's CPU time per request (cores × 10⁶ / req/s) and × floor by CPU is the floor's "
        "µs/req over it: the ratio the two would reach with the same cores to themselves, "
        "independent of how busy the machine was. Every run "
        "checked that no request failed (wrk: no socket error, no status ≥ 400; checkoutd's own "
        "`/metrics`: no 4xx or 5xx).",
        "",
        table(rows),
        "",
        "### Why the floor runs twice",
        "",
        PAIRED_TEXT,
        "",
        "### Why the sizes run side by side",
        "",
        SIDE_BY_SIDE_TEXT,
        "",
        "## Targets",
        "",
        "| target | verdict | detail |",
        "|---|---|---|",
    ]
    for name, v, d in targets(rows, alone):
        out.append(f"| {name} | {v} | {d} |")
    if alone:
        out += ["", "## PostgreSQL alone: the ceiling here", "", ALONE_TEXT, "", alone_table(list(alone), rows)]
    if failures:
        out += ["", "## Failed runs", ""] + [f"- {f}" for f in failures]
    if wedges:
        out += ["", "## WEDGED: a server defect this run hit", "", WEDGE_TEXT, "",
                f"Restarts in this run ({len(wedges)}):", ""] + [f"- {w}" for w in wedges]
    if profiles:
        out += ["", "## Profile", "",
                f"`perf record -a -e cpu-clock --call-graph dwarf` of the whole machine for "
                f"{PROFILE_SECONDS} s of each scenario at c{max(CONCURRENCY)} with "
                f"{max(SIZES):,} stored sessions, summarised by `bench/perfsummary.py` (the VM "
                "exposes no hardware counters, so samples are timer-based and include kernel "
                "time). Each checkoutd sample is counted once, in the first phase its stack "
                "matches.", ""]
        for text in profiles.values():
            out.append(text)
    out += ["", "## Analysis", "", ANALYSIS_BEGIN, analysis, ANALYSIS_END, ""]
    return "\n".join(out)


def report_only(path: str) -> int:
    """Rewrite the report from a saved results.json (BENCH_REPORT_ONLY=path)."""
    d = json.loads(Path(path).read_text())
    globals().update(d.get("settings", {}))
    text = report(d["rows"], d["facts"], d["notes"], {i: p for i, p in enumerate(d["profiles"])},
                  d["failures"], d["command"], datetime.datetime.fromisoformat(d["started"]),
                  d["load_before"], d["load_after"], d["seeds"], d["ls_info"], d["wedges"], d.get("alone", []))
    OUTPUT.write_text(text)
    print(table(d["rows"]))
    print(f"wrote {OUTPUT}")
    return 0


def main() -> int:
    if os.environ.get("BENCH_REPORT_ONLY"):
        return report_only(os.environ["BENCH_REPORT_ONLY"])
    started = datetime.datetime.now(datetime.timezone.utc)
    command = "scripts/bench"
    overrides = " ".join(f"{k}={os.environ[k]}" for k in sorted(os.environ) if k.startswith("BENCH_"))
    if overrides:
        command = f"{overrides} {command}"
    WORK.mkdir(parents=True, exist_ok=True)
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    facts = machine()
    key = f"sk_test_bench{secrets.token_hex(12)}"
    results: list[dict] = []
    failures: list[str] = []
    notes: list[str] = []
    profiles: dict = {}
    seeds: list[str] = []
    ls_info: dict = {}
    wedges: list[str] = []
    alone: list[dict] = []
    backends = list(BACKENDS)
    if "postgres" in backends:
        if postgres_up():
            facts["postgres"] = "PostgreSQL " + psql("SHOW server_version").split()[0]
        else:
            failures.append(f"PostgreSQL is not reachable at {PG_URL}: its runs were skipped")
            backends.remove("postgres")
    peers_done = False
    floor = None  # the floor server for paired runs, from the first configuration on
    for backend in backends:
        # Every size of a backend is prepared first and stays up, so that
        # each scenario runs on one size and right after on the next (see
        # SIDE_BY_SIDE_TEXT).
        cfgs: list[Config] = []
        for size in SIZES:
            cfg = Config(backend, size, key)
            log(f"== checkoutd on {backend} with {size:,} stored sessions")
            try:
                cfg.prepare()
                seeds.append(f"{backend} {size:,}: {cfg.seed_line or 'nothing to seed'} "
                             f"(whole step {cfg.seed_seconds:.0f} s)")
                assert cfg.server
                cfgs.append(cfg)
            except (BenchError, subprocess.SubprocessError, OSError) as e:
                failures.append(f"checkoutd on {backend} with {size:,}: {e}")
                log(f"FAILED {e}")
                cfg.finish()
                continue
            if floor is None and "floor" in PEERS:
                try:
                    floor = start_floor(cfg)
                except BenchError as e:
                    failures.append(str(e))
        try:
            for scenario in SCENARIOS:
                for cfg in cfgs:
                    log(f"== {backend} {cfg.size:,}: {scenario}")
                    label = {"server": "checkoutd", "store": backend, "size": cfg.size}
                    measure(cfg, label, scenario, cfg.files[scenario], key, results, failures, True, floor)
            for cfg in cfgs:
                if PROFILE and cfg.size == max(SIZES):
                    for scenario in ("retrieve", "metadata", "line_items"):
                        if scenario in SCENARIOS:
                            log(f"profiling {backend} {scenario}")
                            try:
                                profiles[(backend, scenario)] = profile(cfg, scenario)
                            except (BenchError, subprocess.SubprocessError, OSError) as e:
                                notes.append(f"profile of {backend} {scenario} failed: {e}")
                if backend == "postgres":
                    # Last: its updates bump versions behind checkoutd's back.
                    pg_alone(cfg, alone, failures)
        except (BenchError, subprocess.SubprocessError, OSError) as e:
            failures.append(f"checkoutd on {backend}: {e}")
            log(f"FAILED {e}")
        finally:
            for cfg in cfgs:
                if cfg.server:
                    cfg.server.stop()
            if not peers_done and cfgs:
                # The peers run after the first backend, on its first
                # configuration's request streams and captured documents.
                floor = run_peers(cfgs[0], floor, results, failures, ls_info)
                peers_done = True
            for cfg in cfgs:
                cfg.finish()
                wedges.extend(cfg.wedged)
    if floor is not None:
        floor.stop()
    load_after = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    saved = dict(rows=results, facts=facts, notes=notes, profiles=list(profiles.values()), failures=failures,
                 command=command, started=started.isoformat(), load_before=load_before,
                 load_after=load_after, seeds=seeds, ls_info=ls_info, wedges=wedges, alone=alone,
                 settings=dict(SECONDS=SECONDS, WARMUP=WARMUP, SIZES=SIZES, CONCURRENCY=CONCURRENCY))
    (WORK / "results.json").write_text(json.dumps(saved, indent=1))
    text = report(results, facts, notes, profiles, failures, command, started, load_before, load_after,
                  seeds, ls_info, wedges, alone)
    OUTPUT.write_text(text)
    print()
    print(table(results))
    print()
    for name, v, d in targets(results, alone):
        print(f"{v.strip('*'):>12}  {name}  ({d})")
    print(f"\nwrote {OUTPUT}")
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        return 1
    return 0


def start_floor(cfg: Config) -> Server:
    """The floor server, on the configuration's documents."""
    return Server("floor", [str(BIN / "floor"), "--session", str(cfg.session_doc),
                            "--list", str(cfg.list_doc)], WORK / "floor.log").start()


def run_peers(cfg: Config, floor: Server | None, results: list, failures: list,
              ls_info: dict) -> Server | None:
    """The peers' own runs: the floor's (on the paired server, started here
    if it did not start before) and localstripe's. Returns the floor server,
    for the paired runs of the configurations that follow."""
    if "floor" in PEERS:
        log("== floor")
        try:
            floor = floor or start_floor(cfg)
        except BenchError as e:
            failures.append(str(e))
        else:
            for scenario in SCENARIOS:
                measure(Peer(floor), {"server": "floor", "store": "memory", "size": ""}, scenario,
                        cfg.files[scenario], cfg.key, results, failures, False)
    if "localstripe" in PEERS:
        log("== localstripe")
        ls_info.update(localstripe(results, failures, WORK))
    return floor


if __name__ == "__main__":
    sys.exit(main())
