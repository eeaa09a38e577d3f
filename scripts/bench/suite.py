"""One configuration of `make bench`: start the platform as `make run` does, seed it, load it with wrk.

    python -m scripts.bench.suite --database sqlite --out bench/results/run/sqlite.json
    python -m scripts.bench.suite --database postgresql --url postgresql+psycopg://... --workers 2 ...

Scenarios (each `--duration` seconds, wrk -t`--threads` -c`--conns`):
  healthz            warranty's own /healthz, straight to the service
  coverage_direct    GET /units/{serial}/coverage straight to warranty
  coverage_gateway   the same through the gateway (a stored station key: the key check is measured)
  storm_one_part     POST /inventory/reservations, one unit of the same part, through the gateway
  storm_60_parts     the same over 60 parts
  bill               POST /billing/repairs through the gateway: a claim at warranty, the reserved part
                     consumed at inventory, an invoice issued (each reservation of the storm billed once)
Then: the import of 100 000 units timed (done first, it seeds the reads), resident memory per
process at rest, a year's service figures (after the load: scripts/bench/tickets.py writes a year of
100 000 tickets and 3 000 complaints into the service desk's database, then GET /reports/service for
the year through the gateway, by centre and by station, a first call and `--year-repeats` timed ones:
median and max, target < 1 s), and the oversell check (stock.reserved equals the active reservations'
lines, on_hand equals the ledger, on_hand >= reserved, per row).
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from scripts.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
LUA = ROOT / "scripts" / "bench" / "scenario.lua"
ADMIN = "bench-admin"
TOKEN = "bench-token"
WAREHOUSE = "WH-BENCH"
PARTS = 60


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def resident_mb(pid: int) -> tuple[str, float] | None:
    try:
        cmdline = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
        status = (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return None
    rss = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")), 0)
    args = b" ".join(cmdline).decode(errors="replace")
    if "uvicorn" not in args and "multiprocessing" not in args:
        return None
    name = next((app.split(".")[1] if app.startswith("services.") else app.split(".")[0]
                 for app in args.split() if ":create_app" in app), "worker")
    return name, rss / 1024


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (their own, not their children's)."""
    total = 0
    for pid in pids:
        try:
            fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def by_service(run_pid: int) -> dict[str, list[int]]:
    """Each service's processes (its uvicorn supervisor and workers), by name."""
    found = {}
    for pid in descendants(run_pid):
        try:
            args = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        app = next((a.decode() for a in args if a.endswith(b":create_app")), None)
        if app:
            name = app.split(".")[1] if app.startswith("services.") else app.split(".")[0]
            found[name] = [pid, *descendants(pid)]
    return found


def wrk(base: str, *, mode: str, path: str, header: tuple[str, str], duration: int, conns: int, threads: int,
        extra: dict[str, str] | None = None) -> dict:
    env = dict(os.environ, BENCH_MODE=mode, BENCH_PATH=path, BENCH_HEADER_NAME=header[0],
               BENCH_HEADER_VALUE=header[1], BENCH_THREADS=str(threads), **(extra or {}))
    command = ["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{duration}s", "--timeout", "5s",
               "-s", str(LUA), base]
    try:
        out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=duration + 30).stdout
    except subprocess.TimeoutExpired:
        out = ""
    line = next((line for line in out.splitlines() if line.startswith("RESULT")), None)
    if line is None:
        return {"rps": None, "p50_ms": None, "p99_ms": None, "errors": None, "non2xx": None}
    rps, p50, p99, errs, non2xx = line.split()[1:]
    return {"rps": float(rps), "p50_ms": float(p50), "p99_ms": float(p99), "errors": int(errs),
            "non2xx": int(non2xx)}


def signed_station(token: str) -> str:
    """The caller headers the gateway would send for a station, signed, as wrk's extra headers."""
    from shared import context, identity

    return ";".join(f"{k.decode()}={v.decode()}" for k, v in identity.headers(
        token, context.Caller(role="station"), request_id="bench") if k != b"x-internal-token")


def units_csv(path: Path, count: int) -> None:
    with path.open("w") as f:
        f.write("serial_number,model_code,product_name,site_name,region,accepted_on\n")
        for i in range(count):
            accepted = f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}"
            f.write(f"BENCH-{i:06d},KFR-72LW,Cabinet AC,Site {i % 97},shandong,{accepted}\n")


def fresh_postgres_database(url: str, name: str) -> str:
    """A new, empty database on the server of `url`, so every run starts from nothing."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.rsplit("/", 1)[0] + "/" + name


def oversold(inventory_url: str, schema: str | None) -> dict:
    """Every stock row against the reservations and the ledger; empty lists mean nothing was oversold."""
    args = {"connect_args": {"options": f"-c search_path={schema}"}} if schema else {}
    engine = create_engine(inventory_url, **args)
    with engine.connect() as conn:
        rows = conn.execute(text("""
            SELECT s.warehouse, s.part_number, s.on_hand, s.reserved,
                   COALESCE((SELECT SUM(l.qty) FROM reservation_line l JOIN reservation r ON r.id = l.reservation_id
                             WHERE r.status = 'active' AND r.warehouse = s.warehouse
                               AND l.part_number = s.part_number), 0) AS held,
                   COALESCE((SELECT SUM(m.qty) FROM movement m
                             WHERE m.warehouse = s.warehouse AND m.part_number = s.part_number), 0) AS ledger
            FROM stock s""")).all()
        counts = dict(conn.execute(text("SELECT status, COUNT(*) FROM reservation GROUP BY status")).all())
    engine.dispose()
    bad = [dict(r._mapping) for r in rows
           if r.reserved != r.held or r.on_hand != r.ledger or r.on_hand < r.reserved or r.reserved < 0]
    return {"rows_checked": len(rows), "mismatches": bad, "reservations": counts, "ok": not bad}


def service_year(gw: str, admin: "httpx.Client", desk_url: str, schema: str | None, args) -> dict:
    """Write a year of tickets into the service desk's database, then time its figures through the gateway."""
    from scripts.bench import tickets

    year = args.year
    made = tickets.fill(desk_url, schema, tickets=args.year_tickets, complaints_count=args.year_complaints,
                        year=year, seed=year, now=datetime.now(UTC).replace(microsecond=0),
                        say=lambda line: print(f"  {args.database:10s} service_year{line}", flush=True))
    found: dict = {"year": year, "tickets": made["tickets"], "complaints": made["complaints"],
                   "generated_s": made["seconds"], "load_average_before": os.getloadavg(), "by": {}}
    for group_by in ("centre", "station"):
        params = {"from": f"{year}-01-01", "to": f"{year}-12-31", "group_by": group_by}
        times, statuses = [], []
        for _ in range(args.year_repeats + 1):  # the first call warms the caches: reported apart
            started = time.perf_counter()
            answer = admin.get("/reports/service", params=params)
            times.append(time.perf_counter() - started)
            statuses.append(answer.status_code)
            if answer.status_code == 200 and answer.json()["totals"]["reports"] != made["tickets"]:
                statuses[-1] = "wrong count"
        timed = times[1:]
        found["by"][group_by] = {"first_s": round(times[0], 3), "median_s": round(statistics.median(timed), 3),
                                 "max_s": round(max(timed), 3), "repeats": len(timed),
                                 "statuses": sorted({str(x) for x in statuses})}
        print(f"  {args.database:10s} service_year {group_by:8s} {found['by'][group_by]}", flush=True)
    found["load_average_after"] = os.getloadavg()
    return found


def run(args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    env = dict(os.environ, DATA_DIR=str(work / "data"), INTERNAL_TOKEN=TOKEN, ADMIN_API_KEY=ADMIN,
               RATE_LIMIT_PER_SECOND="0", LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    for name in ("gateway", "warranty", "inventory", "billing", "servicedesk"):
        env[f"{name.upper()}_PORT"] = str(free_port())
        env[f"{name.upper()}_WORKERS"] = str(args.workers)
    env.pop("DATABASE_URL", None)
    schema = None
    inventory_url = f"sqlite:///{work / 'data' / 'inventory.sqlite3'}"
    if args.database == "postgresql":
        url = fresh_postgres_database(args.url, f"bench_{os.getpid()}")
        env["DATABASE_URL"] = url
        inventory_url, schema = url, "inventory"
    env.update(dict(kv.split("=", 1) for kv in args.env))
    gw = f"http://127.0.0.1:{env['GATEWAY_PORT']}"
    warranty = f"http://127.0.0.1:{env['WARRANTY_PORT']}"
    log = (work / "run.log").open("w")
    platform = subprocess.Popen([sys.executable, "-m", "scripts.run"], cwd=ROOT, env=env, stdout=log, stderr=log,
                                start_new_session=True)
    result: dict = {"database": args.database, "workers": args.workers, "duration_s": args.duration,
                    "conns": args.conns, "threads": args.threads, "env": args.env, "scenarios": {}}
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(gw + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or platform.poll() is not None:
                raise RuntimeError("the platform did not start: " + (work / "run.log").read_text()[-2000:])
            time.sleep(0.3)
        time.sleep(1)
        result["rss_mb_at_rest"] = [r for r in map(resident_mb, descendants(platform.pid)) if r]
        admin = httpx.Client(base_url=gw, headers={"X-API-Key": ADMIN}, timeout=300)
        units_csv(work / "units.csv", args.units)
        started = time.monotonic()
        imported = admin.post("/warranty/units/import", content=(work / "units.csv").read_bytes(),
                              headers={"Content-Type": "text/csv"})
        result["import_100k_s"] = round(time.monotonic() - started, 2) if args.units == 100_000 else None
        result["units"] = args.units
        result["import_status"] = imported.status_code
        keys = {role: admin.post("/admin/api-keys", json={"role": role, "name": f"bench {role}"}).json()["key"]
                for role in ("station", "warehouse", "billing")}
        admin.post("/inventory/warehouses", json={"code": WAREHOUSE, "name": "Bench", "kind": "service_center",
                                                  "region": "shandong"}).raise_for_status()
        for i in range(1, PARTS + 1):
            admin.post("/inventory/parts", json={"part_number": f"BP-{i:03d}", "name": f"Part {i}", "uom": "pcs",
                                                 "list_price": "100.00", "out_of_warranty_price": "80.00"}
                       ).raise_for_status()
            admin.post("/inventory/receipts", json={"warehouse": WAREHOUSE, "part_number": f"BP-{i:03d}",
                                                    "qty": 1_000_000, "reference": "BENCH"}).raise_for_status()
        load = {"duration": args.duration, "conns": args.conns, "threads": args.threads}
        os.environ["BENCH_UNITS"] = str(args.units)
        ids = work / "ids"
        ids.mkdir()
        direct = {"BENCH_EXTRA_HEADERS": signed_station(TOKEN)}
        plan = [
            ("healthz", warranty, "get", "/healthz", ("X-Internal-Token", TOKEN), direct),
            ("coverage_direct", warranty, "get", "/units/%s/coverage", ("X-Internal-Token", TOKEN), direct),
            ("coverage_gateway", gw, "get", "/warranty/units/%s/coverage", ("X-API-Key", keys["station"]), {}),
            ("storm_one_part", gw, "reserve", "/inventory/reservations", ("X-API-Key", keys["warehouse"]),
             {"BENCH_PARTS": "1"}),
            ("storm_60_parts", gw, "reserve", "/inventory/reservations", ("X-API-Key", keys["warehouse"]),
             {"BENCH_PARTS": str(PARTS), "BENCH_IDS_DIR": str(ids)}),
            ("bill", gw, "bill", "/billing/repairs", ("X-API-Key", keys["billing"]), {"BENCH_IDS_DIR": str(ids)}),
        ]
        pg_pid = None
        if args.pg_pid_file and args.pg_pid_file.exists():
            pg_pid = int(args.pg_pid_file.read_text().split()[0])
        for name, base, mode, path, header, extra in plan:
            if args.only and name not in args.only:
                continue
            ours = descendants(platform.pid)
            theirs = [pg_pid, *descendants(pg_pid)] if pg_pid else []
            before = cpu_seconds(ours), cpu_seconds(theirs)
            services = by_service(platform.pid)
            service_before = {name: cpu_seconds(pids) for name, pids in services.items()}
            figures = wrk(base, mode=mode, path=path, header=header, extra=extra, **load)
            # CPU per request moves far less than req/s when other work shares the machine.
            served = (figures["rps"] or 0) * args.duration
            if served:
                figures["cpu_ms_per_req"] = round((cpu_seconds(ours) - before[0]) * 1000 / served, 3)
                figures["cpu_ms_per_req_by_service"] = {
                    name: round((cpu_seconds(pids) - service_before[name]) * 1000 / served, 3)
                    for name, pids in services.items()
                }
                if pg_pid:
                    theirs = [pg_pid, *descendants(pg_pid)]
                    figures["db_cpu_ms_per_req"] = round((cpu_seconds(theirs) - before[1]) * 1000 / served, 3)
            result["scenarios"][name] = figures
            print(f"  {args.database:10s} {name:18s} {figures}", flush=True)
        if args.year_tickets and (not args.only or "service_year" in args.only):
            desk_url = env.get("DATABASE_URL") or f"sqlite:///{work / 'data' / 'servicedesk.sqlite3'}"
            result["service_year"] = service_year(gw, admin, desk_url, "servicedesk" if schema else None, args)
        result["oversell_check"] = oversold(inventory_url, schema)
    finally:
        os.killpg(platform.pid, signal.SIGTERM)
        try:
            platform.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(platform.pid, signal.SIGKILL)
            platform.wait()
        log.close()
        if args.keep:
            print(f"  kept {work}")
        else:
            subprocess.run(["rm", "-rf", str(work)], check=False)
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", default=os.environ.get("TEST_DATABASE_URL", ""))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--conns", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--env", nargs="*", default=[], help="NAME=value for the platform's processes")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--units", type=int, default=100_000, help="units imported (the figure is for 100 000)")
    parser.add_argument("--pg-pid-file", type=Path, help="postmaster.pid of the server, to count its CPU")
    parser.add_argument("--year", type=int, default=2026, help="the year of the service figures' tickets")
    parser.add_argument("--year-tickets", type=int, default=100_000, help="0: no service figures' year")
    parser.add_argument("--year-complaints", type=int, default=3_000)
    parser.add_argument("--year-repeats", type=int, default=5, help="timed calls per grouping, after a first")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    result = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str))
    return 0 if result.get("oversell_check", {}).get("ok", True) else 1


if __name__ == "__main__":
    sys.exit(main())
