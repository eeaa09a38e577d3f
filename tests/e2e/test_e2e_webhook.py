"""A dispatch reaches the station's group robot within seconds (issue 20, item 6), end to end: the real
processes `make run` starts (which allows a robot on a local address), a local HTTP receiver standing in
for WeCom, a ticket reported and dispatched through the gateway."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from desk_support import organisation

pytestmark = pytest.mark.e2e

UNIT = {"serial_number": "KFR72-HOOK01", "model_code": "KFR-72LW", "product_name": "Cabinet air conditioner",
        "site": {"name": "济南市中心医院", "address": "济南市经五路 16 号", "region": "shandong"},
        "accepted_on": "2025-03-01", "certificate": {"number": "WC-HOOK-01"}}


class Receiver:
    """A group robot on loopback: records what it is sent, answers as WeCom does."""

    def __init__(self) -> None:
        self.received: list[tuple[float, str, dict]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the standard library's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append((time.monotonic(), self.path, json.loads(body or b"{}")))
                answer = b'{"errcode":0,"errmsg":"ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_dispatch_reaches_the_stations_robot_within_seconds(platform):
    with Receiver() as robot, platform.client() as admin:
        org = organisation(admin, technician="王磊")
        hooked = admin.patch(f"/servicedesk/sites/{org.station}",
                             json={"webhook": {"kind": "wecom", "url": f"{robot.url}/hook/{org.station}"}})
        assert hooked.status_code == 200, hooked.text
        assert admin.post("/warranty/units", json=UNIT).status_code in (201, 409)
        ticket = admin.post("/servicedesk/tickets", json={
            "serial_number": UNIT["serial_number"], "caller": {"name": "李娜", "phone": "13800000001"},
            "description": "三病区不制冷", "level": 2}).json()
        dispatched_at = time.monotonic()
        dispatched = admin.post(f"/servicedesk/tickets/{ticket['id']}/dispatch",
                                json={"station": org.station, "technician_id": org.technician_id})
        assert dispatched.status_code == 200, dispatched.text

        deadline = dispatched_at + 10
        while not robot.received and time.monotonic() < deadline:
            time.sleep(0.1)
        assert robot.received, "the robot heard nothing within 10 s of the dispatch"
        at, path, message = robot.received[0]
        assert at - dispatched_at < 10
        assert path == f"/hook/{org.station}" and message["msgtype"] == "markdown"
        content = message["markdown"]["content"]
        assert ticket["number"] in content and "2 级" in content and "济南市经五路 16 号" in content
        assert "王磊" in content and "到场时限" in content

        # The desk sees it sent, once.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            [sent] = admin.get("/servicedesk/notifications", params={"ticket_id": ticket["id"]}).json()["items"]
            if sent["status"] == "sent":
                break
            time.sleep(0.2)
        assert sent["status"] == "sent" and sent["attempts"] == 1
        time.sleep(1.5)  # a background pass later: nothing sent twice
        assert len(robot.received) == 1
