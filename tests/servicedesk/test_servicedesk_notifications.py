"""Messages to stations' group chat robots (domain.md section 8, "Telling people"): queued with the dispatch,
delivered to a real local HTTP receiver by the background pass, retried with growing waits, once."""

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from services.servicedesk import notifications
from services.servicedesk.main import create_app

from helpers import asgi_client, internal_headers
from servicedesk_support import add_site, add_technician, report

pytestmark = pytest.mark.anyio


class Receiver:
    """A robot's webhook on 127.0.0.1: answers each POST with the next planned status (then 200)."""

    def __init__(self) -> None:
        self.plan: list[int] = []
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the name http.server calls
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status = receiver.plan.pop(0) if receiver.plan else 200
                if status == 200:
                    receiver.received.append({"path": self.path, **body})
                answer = json.dumps({"errcode": 0, "errmsg": "ok"} if status == 200 else {"error": "busy"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def local_settings(desk_settings):
    return desk_settings.model_copy(update={"webhook_allow_private": True})


def make_app(settings, clock, warranty, inventory):
    return create_app(settings, clock=clock, deliver=False, transports={
        "warranty": httpx.MockTransport(warranty.handler), "inventory": httpx.MockTransport(inventory.handler)})


async def deliver(app) -> int:
    return await notifications.deliver_due(app.state.uow, app.state.webhook_client, app.state.clock,
                                           allow_private=True)


async def setup(client, receiver, *, kind: str = "wecom") -> dict:
    await add_site(client, "SC-JINAN", kind="service_center")
    await add_site(client, "ST-07", webhook={"kind": kind, "url": f"{receiver.url}/hook/st-07"})
    await add_site(client, "ST-08")  # no webhook
    return {"王磊": await add_technician(client, "王磊", "ST-07"),
            "张伟": await add_technician(client, "张伟", "ST-08")}


async def test_a_dispatch_is_told_to_the_stations_robot_after_a_failure_and_a_growing_wait(
        local_settings, clock, warranty, inventory, receiver):
    app = make_app(local_settings, clock, warranty, inventory)
    async with asgi_client(app, headers=internal_headers(role="desk")) as desk:
        people = await setup(desk, receiver)
        ticket = (await desk.post("/tickets", json=report(1))).json()
        await desk.post(f"/tickets/{ticket['id']}/dispatch", json={"station": "ST-07",
                                                                  "technician_id": people["王磊"]["id"]})
        [queued] = (await desk.get("/notifications", params={"ticket_id": ticket["id"]})).json()["items"]
        assert (queued["site"], queued["kind"], queued["status"], queued["attempts"]) == (
            "ST-07", "dispatch", "pending", 0)
        receiver.plan = [500, 503]
        assert await deliver(app) == 0
        failed = (await desk.get("/notifications", params={"ticket_id": ticket["id"]})).json()["items"][0]
        assert failed["status"] == "pending" and failed["attempts"] == 1 and failed["last_error"] == "HTTP 500"
        assert await deliver(app) == 0  # not due again yet: it waits 2 s after the first failure
        clock.advance(seconds=2)
        assert await deliver(app) == 0  # the second failure waits 4 s
        clock.advance(seconds=3)
        assert await deliver(app) == 0
        clock.advance(seconds=1)
        assert await deliver(app) == 1
        sent = (await desk.get("/notifications", params={"ticket_id": ticket["id"]})).json()["items"][0]
        assert sent["status"] == "sent" and sent["attempts"] == 3 and sent["last_error"] is None
        clock.advance(seconds=600)
        assert await deliver(app) == 0
    [message] = receiver.received
    assert message["path"] == "/hook/st-07" and message["msgtype"] == "markdown"
    content = message["markdown"]["content"]
    assert ticket["number"] in content and "1 级" in content and "12 Jingshi Road, Jinan" in content
    assert "到场时限" in content and "修复时限" in content and "王磊" in content


async def test_dingtalk_takes_a_title_and_text(local_settings, clock, warranty, inventory, receiver):
    app = make_app(local_settings, clock, warranty, inventory)
    async with asgi_client(app, headers=internal_headers(role="desk")) as desk:
        people = await setup(desk, receiver, kind="dingtalk")
        tid = (await desk.post("/tickets", json=report(3))).json()["id"]
        await desk.post(f"/tickets/{tid}/dispatch", json={"station": "ST-07", "technician_id": people["王磊"]["id"]})
        await desk.post(f"/tickets/{tid}/dispatch", json={"station": "ST-07", "technician_id": people["王磊"]["id"]})
        assert await deliver(app) == 2
        kinds = [m["kind"] for m in (await desk.get("/notifications", params={"ticket_id": tid})).json()["items"]]
        assert kinds == ["dispatch", "redispatch"]
    first, second = receiver.received
    assert set(first["markdown"]) == {"title", "text"} and first["markdown"]["title"].startswith("派工通知")
    assert second["markdown"]["title"].startswith("工单改派")


async def test_a_station_without_a_webhook_shows_the_message_failed(local_settings, clock, warranty, inventory,
                                                                    receiver):
    app = make_app(local_settings, clock, warranty, inventory)
    async with asgi_client(app, headers=internal_headers(role="desk")) as desk:
        people = await setup(desk, receiver)
        tid = (await desk.post("/tickets", json=report(3))).json()["id"]
        await desk.post(f"/tickets/{tid}/dispatch", json={"station": "ST-08", "technician_id": people["张伟"]["id"]})
        [message] = (await desk.get("/notifications", params={"ticket_id": tid})).json()["items"]
        assert message["status"] == "failed" and "no webhook" in message["last_error"]
        assert await deliver(app) == 0 and receiver.received == []


async def test_a_message_that_keeps_failing_is_failed_after_the_last_attempt(local_settings, clock, warranty,
                                                                             inventory, receiver, monkeypatch):
    monkeypatch.setattr(notifications, "MAX_ATTEMPTS", 2)
    app = make_app(local_settings, clock, warranty, inventory)
    async with asgi_client(app, headers=internal_headers(role="desk")) as desk:
        people = await setup(desk, receiver)
        tid = (await desk.post("/tickets", json=report(3))).json()["id"]
        await desk.post(f"/tickets/{tid}/dispatch", json={"station": "ST-07", "technician_id": people["王磊"]["id"]})
        receiver.plan = [500, 500, 500]
        await deliver(app)
        clock.advance(seconds=10)
        await deliver(app)
        clock.advance(seconds=600)
        assert await deliver(app) == 0
        [message] = (await desk.get("/notifications", params={"ticket_id": tid})).json()["items"]
        assert message["status"] == "failed" and message["attempts"] == 2 and message["last_error"] == "HTTP 500"


async def test_two_processes_deliver_each_message_exactly_once(local_settings, clock, warranty, inventory, receiver):
    one, two = (make_app(local_settings, clock, warranty, inventory) for _ in range(2))
    async with asgi_client(one, headers=internal_headers(role="desk")) as desk, \
            asgi_client(two, headers=internal_headers(role="desk")):
        people = await setup(desk, receiver)
        for _ in range(6):
            tid = (await desk.post("/tickets", json=report(3))).json()["id"]
            await desk.post(f"/tickets/{tid}/dispatch", json={"station": "ST-07",
                                                              "technician_id": people["王磊"]["id"]})
        counts = await asyncio.gather(*(deliver(app) for app in (one, two, one, two)))
        assert sum(counts) == 6
        clock.advance(seconds=120)  # leases long expired: nothing is sent again
        assert await asyncio.gather(deliver(one), deliver(two)) == [0, 0]
        statuses = {m["status"] for m in (await desk.get("/notifications")).json()["items"]}
    assert statuses == {"sent"}
    numbers = [m["markdown"]["content"].split()[2] for m in receiver.received]
    assert len(numbers) == 6 and len(set(numbers)) == 6


async def test_the_background_pass_delivers(local_settings, clock, warranty, inventory, receiver):
    app = create_app(local_settings, clock=clock, outbox_seconds=0.05, transports={
        "warranty": httpx.MockTransport(warranty.handler), "inventory": httpx.MockTransport(inventory.handler)})
    async with asgi_client(app, headers=internal_headers(role="desk")) as desk:
        people = await setup(desk, receiver)
        tid = (await desk.post("/tickets", json=report(3))).json()["id"]
        await desk.post(f"/tickets/{tid}/dispatch", json={"station": "ST-07", "technician_id": people["王磊"]["id"]})
        for _ in range(200):
            if receiver.received:
                break
            await asyncio.sleep(0.05)
    assert len(receiver.received) == 1


async def test_a_webhook_naming_a_private_address_is_not_called_without_the_setting(desk_settings, clock, warranty,
                                                                                   inventory, receiver):
    app = make_app(desk_settings, clock, warranty, inventory)
    async with asgi_client(app, headers=internal_headers(role="desk")):
        body = {"number": "SR-1", "webhook": {"kind": "wecom", "url": f"{receiver.url}/hook"}}
        error = await notifications.send(app.state.webhook_client, body, allow_private=False)
        assert error == "a webhook is an https URL" and receiver.received == []
        body["webhook"]["url"] = "https://localhost.localdomain/hook"
        assert "public" in await notifications.send(app.state.webhook_client, body, allow_private=False)
