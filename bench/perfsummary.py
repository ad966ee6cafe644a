"""Summarise a system-wide `perf record -a --call-graph dwarf` of one run:
the machine's time by process, checkoutd's time by phase, and checkoutd's
hottest functions (self time).

    python3 perfsummary.py perf.data CHECKOUTD_PID

Phases are assigned per sample, first match wins, from the frames of its
stack (leaf to root), so every sample counts once.
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys

# (phase, regexes that must all match the joined stack) — first match wins.
# SQLite runs in-process (rusqlite) on tokio's workers, like everything
# else; PostgreSQL's work is in its own processes.
PHASES = [
    ("SQLite: read pages with pread() (no mmap; copies from the OS page cache)",
     [r"sqlite3", r"unixRead|seekAndRead|pread"]),
    ("SQLite: write WAL / sync", [r"sqlite3", r"unixWrite|seekAndWrite|unixSync|fsync|fdatasync|pwrite"]),
    ("SQLite: WAL-index / file locks", [r"sqlite3", r"unixShm|unixLock|unixUnlock|fcntl|walIndex|walTryBeginRead"]),
    ("SQLite: statement execution (CPU: B-tree, records)", [r"sqlite3_step|sqlite3VdbeExec"]),
    ("SQLite: prepare / reset / other (incl. rusqlite)", [r"sqlite3|rusqlite::"]),
    ("auth: API-key lookup (store.find_key, every request)", [r"find_key"]),
    ("domain: session update/create + totals", [r"checkout_domain::session::Session>?::(update|create|complete|recompute)"]),
    ("decode stored JSON (serde_json → Session)", [r"Deserialize|serde_json::de::|resource::decode"]),
    ("render session (session_render: straight to bytes, or a Value for events and lists)", [r"session_render::"]),
    ("encode session JSON for storage", [r"serde_json::ser::|serde_json::to_string|Serialize", r"resource::modify|resource::insert"]),
    ("write response JSON (Value → bytes)", [r"serde_json::ser::|serde_json::value::ser|Serialize"]),
    ("parse form / query", [r"stripe::form::"]),
    ("store: sqlx (PostgreSQL pool, protocol, row decode) and store glue",
     [r"sqlx_core|sqlx_postgres|checkout_store|flume"]),
    ("HTTP: hyper read/parse/write incl. socket syscalls", [r"hyper::proto|hyper_util::rt|TcpStream|tokio::net"]),
    ("tokio scheduler: park/unpark, wake-ups (mostly kernel)", [r"tokio::runtime::scheduler|tokio::runtime::park|tokio::runtime::driver"]),
    ("axum/tower/hyper glue, middleware", [r"axum::|tower::|hyper::"]),
]
PHASES = [(name, [re.compile(rx) for rx in rxs]) for name, rxs in PHASES]
ALLOC = re.compile(r"^(malloc|_int_malloc|_int_free|cfree|free|__libc_malloc|__GI___libc_malloc|__GI___libc_free|"
                   r"malloc_consolidate|unlink_chunk|realloc|_int_realloc|tcache_get|__libc_free|"
                   r"__memmove\w*|__memcpy\w*|__memset\w*)(@\S+)?$")
HEADER = re.compile(r"^(\S.*?)\s+(\d+)/(\d+)\s*$")


def samples(data: str):
    """Yield (comm, pid, [frames leaf→root])."""
    p = subprocess.Popen(
        ["perf", "script", "--no-inline", "-i", data, "-F", "comm,pid,tid,ip,sym"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, errors="replace",
        env=dict(os.environ, DEBUGINFOD_URLS=""))
    assert p.stdout
    comm, pid, frames = None, 0, []
    for line in p.stdout:
        if not line.strip():
            continue
        if line[0] not in " \t":
            if comm is not None:
                yield comm, pid, frames
            m = HEADER.match(line.rstrip())
            comm, pid, frames = (m.group(1).strip(), int(m.group(2)), []) if m else (line.strip(), 0, [])
        else:
            parts = line.strip().split(None, 1)
            frames.append(parts[1] if len(parts) > 1 else "[unknown]")
    if comm is not None:
        yield comm, pid, frames
    p.wait()


def our_postgres(db: str | None) -> set[int]:
    """Pids of the PostgreSQL backends serving `db` and of the cluster's
    background processes (still alive right after the recording)."""
    pids = set()
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                cmd = open(f"/proc/{d}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            parts = cmd.split()
            if cmd.startswith("postgres") and ((db and f" {db} " in cmd) or
                                               (len(parts) >= 2 and parts[1].endswith(":") and "/" in parts[1])):
                pids.add(int(d))
    return pids


def process_name(pid: int, comm: str, server_pid: int, pg: set[int]) -> str:
    if pid == server_pid:
        return "checkoutd"
    if pid == 0 or comm.startswith("swapper"):
        return "idle"
    if pid in pg:
        return "postgres (checkoutd's backends + background workers)"
    if comm.startswith("postgres") or comm.startswith("postmaster"):
        return "postgres (other databases)"
    if comm.startswith("wrk"):
        return "wrk (load generator)"
    if comm in ("rustc", "cargo", "cc", "ld", "cc1", "cc1plus", "as", "collect2", "rust-lld", "opt",
                "coordinator") or comm.startswith(("rustc", "LLVM", "opt", "lto ", "cgu.")):
        return "other processes: compilers (other engineers' builds)"
    return "other processes"


def short(sym: str) -> str:
    s = re.sub(r"::h[0-9a-f]{16}$", "", sym)
    s = re.sub(r"\+0x[0-9a-f]+$", "", s)
    return s


def summarise(data: str, server_pid: int, db: str | None = None) -> dict:
    pg = our_postgres(db)
    others = collections.Counter()
    machine = collections.Counter()
    phases = collections.Counter()
    leaves = collections.Counter()
    kernel = 0
    alloc = 0
    total = 0
    server = 0
    for comm, pid, frames in samples(data):
        total += 1
        who = process_name(pid, comm, server_pid, pg)
        machine[who] += 1
        if who == "other processes":
            others[comm] += 1
        if who != "checkoutd":
            continue
        server += 1
        leaf = short(frames[0]) if frames else "[unknown]"
        leaves[leaf] += 1
        if any(f.startswith(("entry_SYSCALL", "do_syscall_64", "asm_")) for f in frames[:40]):
            kernel += 1
        if ALLOC.match(leaf):
            alloc += 1
        stack = "\n".join(frames)
        for name, rxs in PHASES:
            if all(rx.search(stack) for rx in rxs):
                phases[name] += 1
                break
        else:
            phases["other"] += 1
    return {
        "total": total,
        "server": server,
        "machine": machine.most_common(),
        "others": others.most_common(4),
        "phases": phases.most_common(),
        "leaves": leaves.most_common(25),
        "kernel": kernel,
        "alloc": alloc,
    }


def markdown(s: dict, title: str) -> str:
    if not s["total"]:
        return f"### {title}\n\nno samples\n"
    pct = lambda n, d: f"{100 * n / max(d, 1):.1f}"
    out = [f"### {title}", ""]
    out.append("Machine (both cores, all processes): " + ", ".join(
        f"{name} {pct(n, s['total'])} %" for name, n in s["machine"]) + ".")
    if s.get("others"):
        out.append(f"(other processes by thread name: " + ", ".join(
            f"{c} {pct(n, s['total'])} %" for c, n in s["others"]) + ")")
    out.append("")
    out.append(f"checkoutd ({s['server']} samples): in the kernel (syscalls: socket and file I/O, "
               f"futex wake-ups) {pct(s['kernel'], s['server'])} %; in malloc/free/memcpy "
               f"{pct(s['alloc'], s['server'])} %.")
    out.append("")
    out.append("| checkoutd time by phase | % |   | hottest functions (self) | % |")
    out.append("|---|---:|---|---|---:|")
    rows = max(len(s["phases"]), 12)
    leaves = s["leaves"][:rows]
    for i in range(max(len(s["phases"]), len(leaves))):
        a = s["phases"][i] if i < len(s["phases"]) else None
        b = leaves[i] if i < len(leaves) else None
        left = f"{a[0]} | {pct(a[1], s['server'])}" if a else " | "
        name = (b[0][:90] + "…") if b and len(b[0]) > 91 else (b[0] if b else "")
        right = f"`{name}` | {pct(b[1], s['server'])}" if b else " | "
        out.append(f"| {left} | | {right} |")
    out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown(summarise(sys.argv[1], int(sys.argv[2])), sys.argv[1]))
