"""Join the floor and the platform runs of one `make bench` into a table and a JSON file, against the targets.

    python -m scripts.bench.report --floor floor.txt --runs sqlite.json postgresql.json --out bench/results
"""

import argparse
import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

# (scenario, database or None for any) -> what the issue asks, as text, and a check over (figures, floor)
TARGETS = {
    "coverage_gateway": (">= 0.30x /hello, p99 < 30 ms",
                         lambda f, fl: fl.get("a") and f["rps"] >= 0.30 * fl["a"] and f["p99_ms"] < 30),
    "healthz": (">= 0.67x /hello (the stack costs a third at most)",
                lambda f, fl: fl.get("a") and f["rps"] >= 0.67 * fl["a"]),
    "storm_one_part": (">= 1 000/s, p99 < 100 ms (PostgreSQL)", lambda f, _: f["rps"] >= 1000 and f["p99_ms"] < 100),
    "storm_60_parts": (">= 2 000/s, p99 < 100 ms (PostgreSQL)", lambda f, _: f["rps"] >= 2000 and f["p99_ms"] < 100),
    "bill": (">= 100/s", lambda f, _: f["rps"] >= 100),
}


def parse_floor(path: Path | None) -> dict:
    floor: dict = {}
    if path is None or not path.exists():
        return floor
    for line in path.read_text().splitlines():
        for key, label in (("a", "a /hello"), ("b", "b /units"), ("c", "c /units")):
            if line.startswith(label):
                parts = line[28:].split()
                try:
                    floor[key] = float(parts[0])
                    floor[key + "_p99_ms"] = float(parts[2])
                except (IndexError, ValueError):
                    pass
    return floor


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), "0")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(int(mem) / 1024 / 1024, 1),
            "load_average_at_start": [float(x) for x in os.environ.get("BENCH_LOAD_AT_START", "").split()],
            "load_average_at_end": os.getloadavg(), "python": platform.python_version(), "commit": commit}


def loads(values) -> str:
    return ", ".join(f"{x:.1f}" for x in values or ())


YEAR_TARGET_S = 1.0  # issue #21: a year's report in under a second with 100 000 tickets


def year_lines(runs: list[dict]) -> list[str]:
    """A year's service figures per run: the table's rows, and a line for a run that had none."""
    found = [(run, run["service_year"]) for run in runs if run.get("service_year")]
    if not found:
        return []
    lines = ["", "A year's service figures (GET /reports/service through the gateway, a year of synthetic tickets "
             "from scripts/bench/tickets.py; the first call apart, then the median and the max of the others):", "",
             "| database | workers | group_by | tickets | complaints | first s | median s | max s | statuses | "
             "load average before, after | target | met |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for run, year in found:
        where = " ".join([run["database"], *run.get("env", [])])
        for group_by, f in year["by"].items():
            met = f["max_s"] < YEAR_TARGET_S and f["statuses"] == ["200"] and year["tickets"] >= 100_000
            lines.append(f"| {where} | {run['workers']} | {group_by} | {year['tickets']} | {year['complaints']} | "
                         f"{f['first_s']:.2f} | {f['median_s']:.2f} | {f['max_s']:.2f} | {', '.join(f['statuses'])} | "
                         f"{loads(year['load_average_before'])}; {loads(year['load_average_after'])} | "
                         f"< {YEAR_TARGET_S:.0f} s (100 000 tickets) | {'yes' if met else 'no'} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--floor", type=Path)
    parser.add_argument("--runs", type=Path, nargs="*", default=[])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    floor = parse_floor(args.floor)
    runs = [json.loads(p.read_text()) for p in args.runs if p.exists()]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    result = {"at": stamp, "label": args.label, "machine": machine(), "floor": floor, "runs": runs}
    lines = [f"# make bench, {stamp} {args.label}".rstrip(), "",
             f"Machine: {result['machine']['cpu']}, {result['machine']['cores']} cores, "
             f"{result['machine']['memory_gb']} GB; load average at the start "
             f"{loads(result['machine']['load_average_at_start']) or 'not recorded'}, at the end "
             f"{loads(result['machine']['load_average_at_end'])}; "
             f"commit {result['machine']['commit']}.", ""]
    if floor:
        lines += ["Floor (../shared/bench, same run): "
                  + ", ".join(f"{k} {floor[k]:.0f} req/s" for k in ("a", "b", "c") if k in floor), ""]
    lines += ["| database | workers | scenario | req/s | x /hello | p50 ms | p99 ms | errors | non-2xx | CPU ms/req "
              "(ours + db) | target | met |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for run in runs:
        where = " ".join([run["database"], *run.get("env", [])])
        for name, f in run["scenarios"].items():
            if f.get("rps") is None:
                lines.append(f"| {where} | {run['workers']} | {name} | failed | | | | | | | | |")
                continue
            ratio = f"{f['rps'] / floor['a']:.2f}" if floor.get("a") else ""
            target, check = TARGETS.get(name, ("", None))
            cpu = f"{f['cpu_ms_per_req']:.2f}" if f.get("cpu_ms_per_req") is not None else ""
            if f.get("db_cpu_ms_per_req") is not None:
                cpu += f" + {f['db_cpu_ms_per_req']:.2f}"
            met = ""
            if check is not None and not (name.startswith("storm") and run["database"] != "postgresql"):
                met = "yes" if check(f, floor) else "no"
            lines.append(f"| {where} | {run['workers']} | {name} | {f['rps']:.0f} | {ratio} | "
                         f"{f['p50_ms']:.1f} | {f['p99_ms']:.1f} | {f['errors']} | {f['non2xx']} | {cpu} | {target} "
                         f"| {met} |")
    lines += year_lines(runs)
    lines.append("")
    for run in runs:
        limit = 3 if run["database"] == "sqlite" else 5
        imp = run.get("import_100k_s")
        where = " ".join([run["database"], *run.get("env", [])])
        if imp is None:
            lines.append(f"- {where}: {run.get('units')} units imported (no import figure: it is for 100 000)")
        else:
            lines.append(f"- {where}: import of 100 000 units {imp} s (target < {limit} s: "
                         f"{'met' if imp < limit else 'not met'}), status {run.get('import_status')}")
        rss = run.get("rss_mb_at_rest") or []
        if rss:
            lines.append("  resident memory at rest: " + ", ".join(f"{n} {mb:.0f} MB" for n, mb in rss)
                         + f" (target < 120 MB: {'met' if max(mb for _, mb in rss) < 120 else 'not met'})")
        check = run.get("oversell_check", {})
        lines.append(f"  oversell check: {'nothing oversold' if check.get('ok') else 'FAILED'} "
                     f"({check.get('rows_checked')} stock rows; reservations {check.get('reservations')}; "
                     f"mismatches {check.get('mismatches')})")
    table = "\n".join(lines) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{stamp}.json").write_text(json.dumps(result, indent=2, default=str))
    (args.out / f"{stamp}.md").write_text(table)
    (args.out / "latest.md").write_text(table)
    print(table)
    return 0 if all(r.get("oversell_check", {}).get("ok", True) for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
