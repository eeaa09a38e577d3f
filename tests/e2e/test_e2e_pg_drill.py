"""The database drill (issue 19): PostgreSQL stopped, restarted, hung and read-only under load.

The platform runs on a throwaway PostgreSQL server (scripts/pg_temp.sh) with two processes of the
gateway, inventory and billing. Several clients make reservations and repair bills through the
gateway with stored keys, half with an Idempotency-Key of their own and half without (a bill's
client then retries with the key the server made, from the 503), retrying 502/503/504 and a 409
`idempotency_in_progress` as a client would. During the load the server is, in turn:

- stopped (`pg_ctl stop -m fast`) for two seconds, then started;
- restarted (`pg_ctl restart -m fast`);
- hung: the postmaster and every backend SIGSTOPped for three seconds, then SIGCONTinued;
- read-only: `ALTER SYSTEM SET default_transaction_read_only = on` and a reload, for three seconds.

Afterwards: no answer was a 500; every acknowledged (2xx) reservation and bill is there as
answered; no bill is left being made, every consumed reservation is on an issued bill and was
issued once; the stock ledger adds up to what is on hand, and what is reserved is what the active
reservations hold.

Runs only with TEST_DATABASE_URL and PG_TEMP_DIR (CI): it stops the server everything else uses.
"""

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from test_e2e_losing_a_process import fresh_postgres

from platform_support import Platform

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not (os.environ.get("TEST_DATABASE_URL") and os.environ.get("PG_TEMP_DIR")),
                       reason="needs the throwaway PostgreSQL of scripts/pg_temp.sh (TEST_DATABASE_URL, PG_TEMP_DIR)"),
    pytest.mark.skipif(int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1) > 1,
                       reason="it stops the server that tests running beside it use"),
]
CLIENTS = 6
IN_STOCK = 100_000
PAUSE = 3.0  # seconds of load between faults, and how long a fault lasts
GIVE_UP = 45.0  # seconds a client keeps retrying one request
RETRY = {502, 503, 504}
SERIAL = "DRILL-000001"


class Server:
    """The throwaway PostgreSQL server: pg_ctl as its owner, signals to its processes."""

    def __init__(self) -> None:
        self.dir = Path(os.environ["PG_TEMP_DIR"])
        self.bin = Path(os.environ.get("PG_TEMP_BIN") or self._bindir())
        self.url = os.environ["TEST_DATABASE_URL"]
        self.port = make_url(self.url).port

    @staticmethod
    def _bindir() -> str:
        return sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1].as_posix()

    def pg_ctl(self, *args: str) -> None:
        command = [str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "server.log"),
                   "-w", "-t", "60", *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=90)

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "stop")

    def start(self) -> None:
        # As scripts/pg_temp.sh starts it.
        self.pg_ctl("-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                          "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300", "start")

    def restart(self) -> None:
        self.pg_ctl("-m", "fast", "restart")

    def processes(self) -> list[int]:
        postmaster = int((self.dir / "data" / "postmaster.pid").read_text().split()[0])
        found = [postmaster]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
                    found.append(int(entry.name))
        return found

    def signal(self, signum: int) -> None:
        for pid in self.processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def read_only(self, on: bool) -> None:
        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                if on:
                    conn.execute(text("ALTER SYSTEM SET default_transaction_read_only = on"))
                else:
                    conn.execute(text("SET default_transaction_read_only = off"))
                    conn.execute(text("ALTER SYSTEM RESET default_transaction_read_only"))
                conn.execute(text("SELECT pg_reload_conf()"))
        finally:
            engine.dispose()


class Tally:
    """What the clients saw, shared by their threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()  # every answer, by status (and 0: no answer)
        self.failures: list[str] = []  # 500s and answers no client expects
        self.reservations: dict[int, int] = {}  # acknowledged reservation id -> qty
        self.bills: dict[str, list[int]] = {}  # acknowledged bill number -> reservation ids
        self.requests = 0
        self.gave_up = 0
        self.adopted = 0  # keyless bills retried with the key the server made for them
        self.acknowledged_at: list[float] = []  # monotonic times of the 2xx answers
        self.longest = 0.0  # seconds from a write's first try to its 2xx, retries included

    def saw(self, status: int, what: str = "") -> None:
        with self.lock:
            self.requests += 1
            self.statuses[status] += 1
            if status == 500 or what:
                self.failures.append(what or f"{status}")


def send(http: httpx.Client, tally: Tally, path: str, body: dict, key: str | None,
         *, adopt_key: bool) -> httpx.Response | None:
    """POST until a 2xx, retrying what a client retries; None when it gave up or the answer refused it.
    `adopt_key`: a keyless bill's retry carries the key the server made (its 503 says it)."""
    deadline = time.monotonic() + GIVE_UP
    while time.monotonic() < deadline:
        headers = {"Idempotency-Key": key} if key else {}
        try:
            response = http.post(path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            tally.saw(0)
            if key is None:  # no key: the outcome is unknown and a resend may do it twice
                tally.saw(0, f"{path}: no answer to a keyless request ({exc!r})")
                return None
            time.sleep(0.2)
            continue
        status = response.status_code
        if status < 300:
            tally.saw(status)
            with tally.lock:
                tally.acknowledged_at.append(time.monotonic())
                tally.longest = max(tally.longest, time.monotonic() - deadline + GIVE_UP)
            return response
        problem = response.json() if response.headers.get("content-type", "").endswith("json") else {}
        code = problem.get("code", "")
        retry = status in RETRY or status == 409 and code == "idempotency_in_progress"
        tally.saw(status, "" if retry else f"{path}: {status} {response.text[:300]}")
        if not retry:
            return None
        if adopt_key and key is None:
            key = response.headers.get("idempotency-key") or problem.get("idempotency_key")
            with tally.lock:
                tally.adopted += key is not None
        wait = float(response.headers.get("retry-after") or 0.2)
        time.sleep(min(max(wait, 0.1), 1.0))
    with tally.lock:
        tally.gave_up += 1
        tally.failures.append(f"{path}: gave up after {GIVE_UP} s")
    return None


def repair(reservation_id: int, reference: str) -> dict:
    return {"serial_number": SERIAL, "repair_reference": reference, "performed_on": "2025-07-01",
            "component": "cooling_system", "causes": ["improper_use"],
            "certificate": {"number": "C-D", "product_name": "Cabinet AC", "model_code": "KFR-72LW",
                            "serial_number": SERIAL},
            "reservation_ids": [reservation_id], "labor_hours": "1", "visits": 1}


def client_loop(platform: Platform, keys: dict, tally: Tally, n: int, stop: threading.Event) -> None:
    with platform.client(keys["warehouse"]) as store, platform.client(keys["billing"]) as billing:
        i = 0
        while not stop.is_set():
            i += 1
            keyed = (n + i) % 2 == 0
            reference = f"D{n}-{i}"
            made = send(store, tally, "/inventory/reservations",
                        {"warehouse": "SC-D", "reference": reference,
                         "lines": [{"part_number": "DRL-1", "qty": 1}]},
                        f"res-{reference}" if keyed else None, adopt_key=False)
            if made is None:
                continue
            reservation = made.json()["id"]
            with tally.lock:
                tally.reservations[reservation] = 1
            if i % 3 == 0:
                continue  # some reservations stay active
            billed = send(billing, tally, "/billing/repairs", repair(reservation, f"RR-{reference}"),
                          f"bill-{reference}" if not keyed else None, adopt_key=True)
            if billed is not None:
                bill = billed.json()
                with tally.lock:
                    tally.bills[bill["number"]] = bill["reservation_ids"]


def all_items(http: httpx.Client, path: str, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        page = http.get(path, params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            return items


@pytest.fixture(scope="module")
def drilled(tmp_path_factory):
    platform = Platform(tmp_path_factory.mktemp("pg-drill"))
    platform.env.update({
        "GATEWAY_WORKERS": "2", "INVENTORY_WORKERS": "2", "BILLING_WORKERS": "2",
        "IDEMPOTENCY_LEASE_SECONDS": "2", "RATE_LIMIT_PER_SECOND": "0",
        "DATABASE_URL": fresh_postgres(f"e2e_drill_{os.getpid()}"),
    })
    platform.start()
    try:
        yield platform
    finally:
        platform.close()


def test_stop_restart_hang_and_read_only_under_load(drilled):
    platform, server, tally = drilled, Server(), Tally()
    began = time.monotonic()
    with platform.client() as admin:
        keys = {role: admin.post("/admin/api-keys", json={"role": role, "name": f"drill {role}"}).json()["key"]
                for role in ("billing", "warehouse")}
        for path, body in (
            ("/warranty/units", {"serial_number": SERIAL, "model_code": "KFR-72LW", "product_name": "Cabinet AC",
                                 "site": {"name": "Drill Mall", "region": "shandong"}, "accepted_on": "2024-03-01",
                                 "certificate": {"number": "C-D"}}),
            ("/inventory/parts", {"part_number": "DRL-1", "name": "Fan motor", "uom": "pcs",
                                  "list_price": "10.00", "out_of_warranty_price": "8.00"}),
            ("/inventory/warehouses", {"code": "SC-D", "name": "Drill centre", "kind": "service_center",
                                       "region": "shandong"}),
            ("/inventory/receipts", {"warehouse": "SC-D", "part_number": "DRL-1", "qty": IN_STOCK,
                                     "reference": "PO-D"}),
        ):
            assert admin.post(path, json=body).status_code == 201, path

    stop = threading.Event()
    threads = [threading.Thread(target=client_loop, args=(platform, keys, tally, n, stop)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    faults: list[tuple[str, float, int]] = []  # name, seconds the fault took, answers before it
    ended: list[float] = []  # when each fault ended (monotonic)
    seen_at: list[Counter] = []  # the statuses seen before each fault began

    def fault(name: str, cause, end=None) -> None:
        time.sleep(PAUSE)
        with tally.lock:
            done_before, at = tally.requests, time.monotonic()
            seen_at.append(Counter(tally.statuses))
        cause()
        if end is not None:
            time.sleep(PAUSE)
            end()
        ended.append(time.monotonic())
        faults.append((name, round(time.monotonic() - at, 1), done_before))

    readiness: dict[str, set[int]] = {}  # while read-only: what each process's /readyz answered

    def read_only() -> None:
        server.read_only(True)
        time.sleep(0.5)  # the reload reaches every backend
        for name in ("inventory", "billing", "warranty", "servicedesk", "gateway"):
            url = f"http://127.0.0.1:{platform.port(name)}/readyz"
            readiness[name] = {httpx.get(url, timeout=5).status_code for _ in range(4)}

    try:
        fault("stop", server.stop, server.start)
        fault("restart", server.restart)
        fault("hang", lambda: server.signal(signal.SIGSTOP), lambda: server.signal(signal.SIGCONT))
        fault("read-only", read_only, lambda: server.read_only(False))
        time.sleep(PAUSE)
    finally:
        server.signal(signal.SIGCONT)
        stop.set()
        for thread in threads:
            thread.join(GIVE_UP + 30)
    loaded = time.monotonic() - began
    print(f"\ndrill: {tally.requests} answers in {loaded:.1f} s, by status {dict(sorted(tally.statuses.items()))}, "
          f"{len(tally.reservations)} reservations and {len(tally.bills)} bills acknowledged")
    for (name, took, _), since, until, end in zip(faults, seen_at, [*seen_at[1:], tally.statuses], ended,
                                                   strict=True):
        back = min((t for t in tally.acknowledged_at if t > end), default=float("nan")) - end
        print(f"drill: {name} ({took} s) and the {PAUSE} s after it: {dict(sorted((until - since).items()))}; "
              f"first write acknowledged {back:.2f} s after it ended")
    print(f"drill: the longest write took {tally.longest:.1f} s from its first try to its 2xx; "
          f"{tally.adopted} keyless bills retried with the key the server made")

    assert tally.statuses[500] == 0, [f for f in tally.failures if " 500 " in f][:5]
    assert not tally.failures, tally.failures[:10]
    assert all(before > 0 for _, _, before in faults) and len(tally.bills) > len(faults), "the load ran throughout"
    assert tally.statuses[503] > 0, "the faults were felt"
    print(f"drill: /readyz while read-only: {readiness}")
    assert all(statuses == {503} for statuses in readiness.values()), "not ready while it cannot write"

    with platform.client() as admin:
        reservations = {r["id"]: r for r in all_items(admin, "/inventory/reservations", warehouse="SC-D")}
        assert set(tally.reservations) <= set(reservations), "every acknowledged reservation is there"
        invoices = {b["number"]: b for b in all_items(admin, "/billing/invoices", serial_number=SERIAL)}
        for number, reservation_ids in tally.bills.items():
            assert number in invoices and invoices[number]["reservation_ids"] == reservation_ids
            assert invoices[number]["status"] == "issued"
        [row] = admin.get("/inventory/stock", params={"part_number": "DRL-1", "warehouse": "SC-D"}).json()["items"]
        movements = all_items(admin, "/inventory/movements", part_number="DRL-1", warehouse="SC-D")

    # No bill left being made; no part consumed without a bill, none billed twice.
    billing_db = create_engine(platform.env["DATABASE_URL"])
    try:
        with billing_db.connect() as conn:
            open_bills = conn.execute(text(
                "SELECT count(*) FROM billing.bill WHERE status IN ('begun', 'planned', 'consuming')")).scalar()
    finally:
        billing_db.dispose()
    assert open_bills == 0, "every bill begun was completed or stopped"
    billed = [r for b in invoices.values() if b["status"] in ("issued", "paid") for r in b["reservation_ids"]]
    assert len(billed) == len(set(billed)), "no reservation on two bills"
    consumed = {i for i, r in reservations.items() if r["status"] == "consumed"}
    assert consumed == set(billed), "every consumed reservation is billed, and every billed one consumed"
    issues = [m["reservation_id"] for m in movements if m["kind"] == "issue"]
    assert sorted(issues) == sorted(consumed), "issued from stock once per consumed reservation"
    assert sum(m["qty"] for m in movements) == row["on_hand"] == IN_STOCK - len(consumed)
    active = sum(line["qty"] for r in reservations.values() if r["status"] == "active" for line in r["lines"])
    assert row["reserved"] == active
    print(f"drill: {len(consumed)} parts consumed and billed, {active} reserved, {len(reservations)} reservations, "
          f"{len(invoices)} bills, {time.monotonic() - began:.1f} s in all")
