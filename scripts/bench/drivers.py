"""The PostgreSQL driver and the way of waiting on it, measured on their own (issue 22 item 2).

What a request of the platform asks of PostgreSQL, without the platform around it: a transaction with one
prebuilt statement, 32 at a time, for DURATION seconds, in one process, four ways:

  thread-psycopg   SQLAlchemy Core on psycopg (sync) in a pool of 16 threads: the platform today
  async-psycopg    SQLAlchemy's asyncio engine on psycopg's async driver, Core
  async-asyncpg    SQLAlchemy's asyncio engine on asyncpg, Core (its prepared statements cached per connection)
  raw-asyncpg      asyncpg's own pool and a prepared statement: what a Python process can do at best

and two statements: `read` (a unit by its serial number, as the coverage read: BEGIN, SELECT, COMMIT) and
`write` (a stock row's `reserved` raised, as a reservation takes it, over 60 rows: BEGIN, UPDATE ... RETURNING,
COMMIT). Each line: statements/s, this process's CPU per transaction, PostgreSQL's CPU per transaction (its
server processes, read from /proc).

    eval "$(bash scripts/pg_temp.sh start)"
    .venv/bin/python -m scripts.bench.drivers --url "$TEST_DATABASE_URL" --data "$PG_TEMP_DIR/data"
"""

import argparse
import asyncio
import json
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import BigInteger, Column, Date, MetaData, String, Table, bindparam, create_engine, select, update

from scripts.bench.suite import cpu_seconds, descendants

UNITS, PARTS, CONCURRENCY, THREADS = 20_000, 60, 32, 16

metadata = MetaData()
unit = Table("drv_unit", metadata, Column("serial_number", String(40), primary_key=True),
             Column("model_code", String(100)), Column("site_name", String(200)), Column("region", String(40)),
             Column("accepted_on", Date), Column("policy_version", BigInteger))
stock = Table("drv_stock", metadata, Column("part_number", String(40), primary_key=True),
              Column("on_hand", BigInteger), Column("reserved", BigInteger))

READ = select(unit).where(unit.c.serial_number == bindparam("serial"))
WRITE = (update(stock).where(stock.c.part_number == bindparam("part"))
         .values(reserved=stock.c.reserved + 1).returning(stock.c.reserved))
RAW = {
    "read": "SELECT serial_number, model_code, site_name, region, accepted_on, policy_version "
            "FROM drv_unit WHERE serial_number = $1",
    "write": "UPDATE drv_stock SET reserved = reserved + 1 WHERE part_number = $1 RETURNING reserved",
}


def serial(i: int) -> str:
    return f"DRV-{i:08d}"


def part(i: int) -> str:
    return f"P-{i:04d}"


def prepare(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        metadata.drop_all(connection)
        metadata.create_all(connection)
        connection.execute(unit.insert(), [
            {"serial_number": serial(i), "model_code": "KFR-72LW", "site_name": "济南某商场", "region": "shandong",
             "accepted_on": None, "policy_version": 1} for i in range(UNITS)])
        connection.execute(stock.insert(), [
            {"part_number": part(i), "on_hand": 10**12, "reserved": 0} for i in range(PARTS)])
    engine.dispose()


def argument(kind: str, rng: random.Random):
    return serial(rng.randrange(UNITS)) if kind == "read" else part(rng.randrange(PARTS))


async def _drive(one, kind: str, duration: float) -> int:
    """`one(value)` warmed 50 times (connections made, statements cached), then CONCURRENCY clients each
    awaiting it back to back for `duration` seconds: how many were done."""
    for _ in range(50):
        await one(argument(kind, random.Random(0)))
    done = 0
    stop = time.monotonic() + duration

    async def client(rng: random.Random) -> None:
        nonlocal done
        while time.monotonic() < stop:
            await one(argument(kind, rng))
            done += 1

    await asyncio.gather(*(client(random.Random(i)) for i in range(CONCURRENCY)))
    return done


def run_threads(url: str, kind: str, duration: float) -> int:
    engine = create_engine(url, pool_size=20, max_overflow=10)
    statement, name = (READ, "serial") if kind == "read" else (WRITE, "part")

    def one(value: str) -> None:
        with engine.begin() as connection:
            connection.execute(statement, {name: value}).first()

    async def main() -> int:
        with ThreadPoolExecutor(THREADS) as executor:
            loop = asyncio.get_running_loop()
            return await _drive(lambda value: loop.run_in_executor(executor, one, value), kind, duration)

    try:
        return asyncio.run(main())
    finally:
        engine.dispose()


def run_async_engine(url: str, kind: str, duration: float) -> int:
    # Here, not at the top: greenlet and asyncpg are the bench's (the test extras), not the platform's.
    from sqlalchemy.ext.asyncio import create_async_engine

    statement, name = (READ, "serial") if kind == "read" else (WRITE, "part")

    async def main() -> int:
        engine = create_async_engine(url, pool_size=20, max_overflow=10)

        async def one(value: str) -> None:
            async with engine.begin() as connection:
                (await connection.execute(statement, {name: value})).first()

        try:
            return await _drive(one, kind, duration)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def run_raw_asyncpg(url: str, kind: str, duration: float) -> int:
    import asyncpg

    async def main() -> int:
        pool = await asyncpg.create_pool(url, min_size=20, max_size=30)

        async def one(value: str) -> None:
            async with pool.acquire() as connection, connection.transaction():
                await connection.fetchrow(RAW[kind], value)

        try:
            return await _drive(one, kind, duration)
        finally:
            await pool.close()

    return asyncio.run(main())


def urls(url: str) -> dict[str, str]:
    """The same database for each driver (the URL `pg_temp.sh` prints names psycopg)."""
    bare = url.split("://", 1)[1]
    return {"psycopg": f"postgresql+psycopg://{bare}", "asyncpg-sqla": f"postgresql+asyncpg://{bare}",
            "asyncpg": f"postgresql://{bare}"}


def server_cpu(data: Path) -> float:
    """The server's CPU seconds so far: its processes', and those of the backends that have ended (the
    postmaster's children's time, counted when it reaped them)."""
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    fields = (Path("/proc") / str(postmaster) / "stat").read_text().rsplit(")", 1)[1].split()
    reaped = (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    return reaped + cpu_seconds([postmaster, *descendants(postmaster)])


def measure(way: str, kind: str, url: str, data: Path, duration: float) -> dict:
    given = urls(url)
    run = {
        "thread-psycopg": lambda: run_threads(given["psycopg"], kind, duration),
        "async-psycopg": lambda: run_async_engine(given["psycopg"], kind, duration),
        "async-asyncpg": lambda: run_async_engine(given["asyncpg-sqla"], kind, duration),
        "raw-asyncpg": lambda: run_raw_asyncpg(given["asyncpg"], kind, duration),
    }[way]
    server_before, ours_before = server_cpu(data), time.process_time()
    started = time.monotonic()
    count = run()
    elapsed = time.monotonic() - started
    # Threads' CPU is the process's: process_time counts every thread of this process.
    ours, server = time.process_time() - ours_before, server_cpu(data) - server_before
    return {"way": way, "kind": kind, "per_s": round(count / elapsed), "ours_ms": round(1000 * ours / count, 3),
            "postgres_ms": round(1000 * server / count, 3), "transactions": count}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--data", required=True, type=Path, help="the server's data directory (its CPU is read)")
    parser.add_argument("--duration", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=2, help="each way this many times, in alternating order")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    prepare(urls(args.url)["psycopg"])
    ways = ["thread-psycopg", "async-psycopg", "async-asyncpg", "raw-asyncpg"]
    results = []
    print(f"load average at the start: {os.getloadavg()[0]:.2f}; {threading.active_count()} thread(s)")
    print(f"{'statement':9} {'way':15} {'tx/s':>7} {'ours ms':>8} {'postgres ms':>11}")
    for round_ in range(args.rounds):
        for kind in ("read", "write"):
            for way in ways if round_ % 2 == 0 else list(reversed(ways)):
                result = measure(way, kind, args.url, args.data, args.duration)
                results.append(result)
                figures = f"{result['per_s']:>7} {result['ours_ms']:>8.3f} {result['postgres_ms']:>11.3f}"
                print(f"{kind:9} {way:15} {figures}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
