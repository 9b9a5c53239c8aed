"""Every benchmark row, each beside its reference measured in the same run; writes
docs/benchmarks.md. Run it through `bench/run`, which builds the Go tools first."""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import processes, several
from bench.measures import SUBSCRIBERS, Context, burst_once, describe_burst, fmt, on_fresh_server, wrk_rate
from bench.processes import ROOT, client, running
from bench.report import Row, write_report

ROUNDS = 3
# A 5 % difference is within one round's noise: more rounds for that row.
METRICS_ROUNDS = 5


def throughput_once(context: Context, command: list[str], port: int, name: str) -> float:
    with running(command, port, context.log(name)):
        return wrk_rate(context, port)


def throughput(context: Context) -> Row:
    ours, ceiling = [], []
    for round_ in range(ROUNDS):
        ceiling.append(on_fresh_server(context, lambda port: processes.tornado_ceiling(context.shared, port),
                                       "ceiling", throughput_once))
        # The largest show (more than the run can sell), on a file: every answer is a durable 200.
        db = context.scratch / f"throughput-{round_}.db"
        ours.append(on_fresh_server(context, lambda port, db=db: processes.project_server(port, db, 100_000, 100),
                                    "throughput", throughput_once))
    return Row(
        "booking throughput, durable", "POST /book req/s, wrk 64 connections, 10 s",
        statistics.median(ours), statistics.median(ceiling), "Tornado ceiling",
        ratio=statistics.median(ours) / statistics.median(ceiling), target=">= 0.85 x ceiling",
        met=statistics.median(ours) / statistics.median(ceiling) >= 0.85, unit="req/s",
        detail=f"project runs {fmt(ours)}; ceiling runs {fmt(ceiling)}",
    )


def metrics_cost(context: Context) -> Row:
    """The throughput row with metrics counted (the default) against
    `--metrics-address off`, in alternating rounds so drift hits both alike."""
    counted, off = [], []
    for round_ in range(METRICS_ROUNDS):
        for flags, runs in (((), counted), (("--metrics-address", "off"), off)):
            db = context.scratch / f"metrics-{'off' if flags else 'on'}-{round_}.db"
            runs.append(on_fresh_server(
                context, lambda port, db=db, flags=flags: processes.project_server(port, db, 100_000, 100, *flags),
                "metrics", throughput_once))
    ratio = statistics.median(counted) / statistics.median(off)
    return Row(
        "booking throughput, metrics on", "POST /book req/s as the throughput row, /metrics counting vs off",
        statistics.median(counted), statistics.median(off), "the same, --metrics-address off",
        ratio=ratio, target=">= 0.95 x off", met=ratio >= 0.95, unit="req/s",
        detail=f"metrics on {fmt(counted)}; off {fmt(off)} ({METRICS_ROUNDS} alternating rounds each)",
    )


def go_reference(context: Context) -> Callable[[int], list[str]]:
    return lambda port: processes.go_reference(context.build, port, 1000)


def venue_of_1000(context: Context, db_name: str) -> Callable[[int], list[str]]:
    """The project on a fresh 1,000-seat venue in its own file."""
    return lambda port: processes.project_server(port, context.scratch / db_name, 1000, 25)


def burst(context: Context) -> Row:
    ours, reference, ceiling = [], [], []
    for round_ in range(ROUNDS):
        reference.append(on_fresh_server(context, go_reference(context), "go-reference", burst_once))
        ceiling.append(on_fresh_server(context, lambda port: processes.tornado_ceiling_backlog(context.shared, port),
                                       "ceiling", burst_once))
        ours.append(on_fresh_server(context, venue_of_1000(context, f"burst-{round_}.db"), "burst", burst_once))
    ours_ms = statistics.median(run["decide_all_ms"] for run in ours)
    reference_ms = statistics.median(run["decide_all_ms"] for run in reference)
    ceiling_ms = statistics.median(run["decide_all_ms"] for run in ceiling)
    correct = all(run["correct"] for run in ours)
    return Row(
        "burst correctness and speed", "10,000 clients at once, new connection each, 1,000 seats: time to decide all",
        ours_ms, reference_ms, "go-reference", ratio=ours_ms / reference_ms, target="<= 2 x go-reference, exact counts",
        met=correct and ours_ms <= 2 * reference_ms, unit="ms",
        detail="project: " + "; ".join(describe_burst(run) for run in ours)
        + " | go-reference: " + "; ".join(describe_burst(run) for run in reference)
        + f" | Tornado ceiling handler, same burst (backlog 4096): median {ceiling_ms:.0f} ms, project / ceiling "
        f"{ours_ms / ceiling_ms:.2f}: " + "; ".join(describe_burst(run) for run in ceiling),
    )


def fanout_once(context: Context, command: list[str], port: int, name: str) -> dict:
    with running(command, port, context.log(name)):
        load = [str(context.build / "sse-fanout"), "-addr", f"127.0.0.1:{port}", "-n", str(SUBSCRIBERS), "-b", "20"]
        context.note(processes.pinned(processes.CLIENT_CPU, load))
        return json.loads(client(load).strip().splitlines()[-1])


def fanout(context: Context) -> Row:
    ours, reference = [], []
    for round_ in range(ROUNDS):
        reference.append(on_fresh_server(context, go_reference(context), "go-reference", fanout_once))
        ours.append(on_fresh_server(context, venue_of_1000(context, f"fanout-{round_}.db"), "fanout", fanout_once))
    ours_ms = statistics.median(run["last_ms_median"] for run in ours)
    reference_ms = statistics.median(run["last_ms_median"] for run in reference)
    missed = sum(run["missed"] for run in ours)
    return Row(
        "fan-out latency", "one booking to the last of 10,000 subscribers, median of 20 bookings",
        ours_ms, reference_ms, "go-reference", ratio=ours_ms / reference_ms, target="<= 1.0 x go-reference",
        met=missed == 0 and ours_ms <= reference_ms, unit="ms",
        detail=f"project runs {fmt(run['last_ms_median'] for run in ours)} (missed {missed}); "
        f"go-reference runs {fmt(run['last_ms_median'] for run in reference)}",
    )


def memory_once(context: Context, command: list[str], port: int, name: str) -> float:
    """KiB of RSS per idle subscriber: RSS with 10,000 open streams minus RSS after a
    warm-up of 1,000 streams opened and closed (so allocator growth is not counted)."""
    with running(command, port, context.log(name)) as server:
        hold = [str(context.build / "loadclient"), "-mode", "hold", "-addr", f"127.0.0.1:{port}"]
        context.note(processes.pinned(processes.CLIENT_CPU, [*hold, "-n", str(SUBSCRIBERS)]))
        with_subscribers([*hold, "-n", "1000"], lambda: None)
        time.sleep(1.0)
        before = processes.rss_kib(server.pid)
        after = with_subscribers([*hold, "-n", str(SUBSCRIBERS)], lambda: processes.rss_kib(server.pid))
    return (after - before) / SUBSCRIBERS


def with_subscribers(hold: list[str], measure: Callable[[], object]) -> object:
    """Holds the subscribers open while `measure` runs, then closes them."""
    process = subprocess.Popen(processes.pinned(processes.CLIENT_CPU, hold), stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    try:
        ready = process.stdout.readline().strip()
        if ready != "ready":
            raise RuntimeError(f"subscribers did not all connect: {ready!r}")
        time.sleep(1.0)  # let the server finish the snapshots it is still sending
        return measure()
    finally:
        process.stdin.close()
        process.wait(30)


def memory(context: Context) -> Row:
    reference = on_fresh_server(context, go_reference(context), "go-reference", memory_once)
    ours = on_fresh_server(context, venue_of_1000(context, "memory.db"), "memory", memory_once)
    return Row(
        "memory per subscriber", "RSS growth per idle /events subscriber at 10,000",
        ours * 1.024, reference * 1.024, "go-reference", ratio=ours / reference, target="<= 8 KB",
        met=ours * 1.024 <= 8, unit="KB",
    )


def page(context: Context) -> list[Row]:
    out = context.scratch / "page.json"
    command = [sys.executable, "-m", "bench.page", "--json", str(out)]
    context.note(command)
    subprocess.run(command, check=True, cwd=ROOT, timeout=900)
    result = json.loads(out.read_text())
    start, large, paint, live = (result["page_start_ms"], result["large_start_ms"], result["paint_ms"],
                                 result["live_update_ms"])
    kb = result["page_bytes"] / 1000
    return [
        Row("page start", "first byte to #app[data-ready=true] on 100 seats, cold cache; bytes on the wire",
            start["median"], None, None, ratio=None, target="<= 600 ms; <= 500 KB",
            met=start["median"] <= 600 and kb <= 500, unit="ms",
            detail=f"{kb:.0f} KB on the wire; runs {fmt(start['runs'])}"),
        Row("large show start", "first byte to #app[data-ready=true] on a 50,000-seat show (overview drawn)",
            large["median"], None, None, ratio=None, target="<= 1.5 s", met=large["median"] <= 1500, unit="ms",
            detail=f"{result['large_bytes'] / 1000:.0f} KB on the wire; runs {fmt(large['runs'])}"),
        Row("optimistic paint", "click to the frame that paints the pending seat, 50,000 seats zoomed in",
            paint["median"], None, None, ratio=None, target="<= 16.7 ms", met=paint["median"] <= 16.7, unit="ms",
            detail=f"runs {fmt(paint['runs'])}"),
        Row("live update", "main-thread work for one seats event on a 50,000-seat map, zoomed in", live["median"],
            None, None, ratio=None, target="<= 5 ms", met=live["median"] <= 5, unit="ms",
            detail=f"runs {fmt(live['runs'])}"),
    ]


def best_available(context: Context) -> Row:
    """In process, pinned to the server's core: the pure decision as the lock runs it."""
    out = context.scratch / "best-available.json"
    command = processes.pinned(processes.SERVER_CPU, [sys.executable, "-m", "bench.best_available", "--json",
                                                      str(out)])
    context.note(command)
    subprocess.run(command, check=True, cwd=ROOT, timeout=600, capture_output=True)
    result = json.loads(out.read_text())
    slowest = result["slowest_case"]
    return Row(
        "best available, 100,000 seats", "one hold of 1-10 best seats (no-orphan rule), house 0-99 % full at "
        "random: p99 of all decisions", result["p99_us"] / 1000, None, None, ratio=None,
        target="well under 1 ms: p99 <= 0.5 ms", met=result["p99_us"] <= 500, unit="ms",
        detail=f"{result['decisions']:,} decisions: median {result['median_us']:.0f} us, "
        f"p99 {result['p99_us']:.0f} us, max {result['max_us']:.0f} us; slowest case {slowest['quantity']} seats at "
        f"{slowest['fill']:.0%} full (section {slowest['section']}): median {slowest['median_us']:.0f} us",
    )


def snapshot_once(context: Context, command: list[str], port: int, name: str) -> dict:
    with running(command, port, context.log(name)):
        measure = [sys.executable, "-m", "bench.snapshot", "--port", str(port)]
        context.note(processes.pinned(processes.CLIENT_CPU, measure))
        return json.loads(client(measure))


def snapshot(context: Context) -> Row:
    """50,000 seats in rows of ten (the case where plain JSON would not fit) and
    of a hundred; Part 1's verbose snapshot of the same show is the reference."""
    results = {}
    for row_size in (10, 100):
        db = context.scratch / f"snapshot-{row_size}.db"
        results[row_size] = on_fresh_server(
            context, lambda port, db=db, row_size=row_size: processes.project_server(port, db, 50_000, row_size),
            f"snapshot-{row_size}", snapshot_once)
    tens, hundreds = results[10], results[100]
    wire = max(tens["compact_gzip"]["bytes"], tens["stream_snapshot_gzip"]["bytes"], hundreds["compact"]["bytes"],
               hundreds["stream_snapshot"]["bytes"])
    slowest = max(r[case]["ms"] for r in results.values()
                  for case in ("compact", "compact_gzip", "stream_snapshot", "stream_snapshot_gzip"))
    verbose = tens["verbose_part1"]
    return Row(
        "50,000-seat snapshot", "largest compact snapshot on the wire (rows of 10 gzipped, rows of 100 plain; GET "
        "and stream); slowest time to the reader's last byte under 250 ms", wire / 1000, verbose["bytes"] / 1000,
        "Part 1 verbose snapshot",
        ratio=wire / verbose["bytes"], target="<= 65,536 bytes; well under 1 s",
        met=wire <= 65_536 and slowest < 250, unit="KB",
        detail="; ".join(
            f"rows of {size}: GET {r['compact']['bytes']:,} B in {r['compact']['ms']:.1f} ms, gzipped "
            f"{r['compact_gzip']['bytes']:,} B in {r['compact_gzip']['ms']:.1f} ms, stream snapshot "
            f"{r['stream_snapshot']['bytes']:,} B in {r['stream_snapshot']['ms']:.1f} ms, gzipped "
            f"{r['stream_snapshot_gzip']['bytes']:,} B in {r['stream_snapshot_gzip']['ms']:.1f} ms, verbose "
            f"{r['verbose_part1']['bytes']:,} B in {r['verbose_part1']['ms']:.1f} ms" for size, r in results.items()),
    )


def attack(context: Context, what: str, *flags: str) -> dict:
    out = context.scratch / f"attack-{what}.json"
    command = [sys.executable, "-m", "bench.attacks", what, *flags, "--json", str(out)]
    context.note(command)
    subprocess.run(command, check=True, cwd=ROOT, timeout=900, capture_output=True)
    return json.loads(out.read_text())


def stalled_streams(context: Context) -> Row:
    """Issue 10's first attack, at the default --max-backlog."""
    result = attack(context, "stalled", "--max-backlog", "1048576")
    idle, stalled = result["idle"], result["stalled_resumed"]
    return Row(
        "stalled resumed streams", "RSS with 1,000 streams resumed from version 1 after 10,000 versions and never "
        "read, against 1,000 idle streams (default --max-backlog)", stalled["rss_kib"] / 1024,
        idle["rss_kib"] / 1024, "1,000 idle streams", ratio=result["ratio"], target="< 2 x idle",
        met=result["ratio"] < 2, unit="MB",
        detail=f"/healthz took {stalled['healthz_ms']:.0f} ms with the stalled streams open "
        f"({idle['healthz_ms']:.0f} ms with the idle ones)",
    )


def fd_limit(context: Context) -> Row:
    result = attack(context, "fd-limit")
    return Row(
        "bookings at the fd limit", "open-file limit 1,024, server filled to its connection cap: p99 of 2,000 "
        "bookings on connections opened before", result["p99_ms"], None, None, ratio=None,
        target="bookings still answered; new connections refused with 503",
        met=result["bookings"] == 2000 and result["new_connections_refused_503"] == 20, unit="ms",
        detail=f"p50 {result['p50_ms']} ms; {result['new_connections_refused_503']}/20 new connections answered 503 "
        f"(median {result['refusal_ms_median']} ms); server CPU {result['cpu_s_while_flooded']} s in the whole run",
    )


ROWS: dict[str, Callable[[Context], Row | list[Row]]] = {
    "throughput": throughput, "metrics": metrics_cost, "burst": burst, "fanout": fanout, "memory": memory,
    "best-available": best_available,
    "snapshot": snapshot, "stalled": stalled_streams, "fd-limit": fd_limit, "page": page,
    "several": several.rows,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build", type=Path, required=True, help="where bench/run built the Go tools")
    parser.add_argument("--shared", type=Path, required=True, help="the shared directory (references)")
    parser.add_argument("--rows", nargs="+", choices=ROWS, default=list(ROWS))
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="seats-bench-") as scratch:
        context = Context(args.build, args.shared, Path(scratch), [])
        rows: list[Row] = []
        started = time.time()
        for name in args.rows:
            print(f"bench: {name} ...", flush=True)
            measured = ROWS[name](context)
            for row in measured if isinstance(measured, list) else [measured]:
                print("  " + row.summary(), flush=True)
                rows.append(row)
        write_report(args.out, rows, context.commands, time.time() - started)
    print(f"bench: wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
