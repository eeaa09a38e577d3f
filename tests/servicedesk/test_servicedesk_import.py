"""`aftersales import-sites` / `import-technicians` (cli/organisation.py) against a real service desk process."""

import sys
from pathlib import Path

import httpx
import pytest

from cli import common, organisation
from services.servicedesk.main import create_app

from helpers import internal_headers

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gateway"))
from gateway_support import LiveServer  # noqa: E402

SITES = """code,name,kind,parent,region,address,phone,webhook_kind,webhook_url
sc-jinan,济南服务中心,service_center,,shandong,济南市经十路 1 号,0531-8888 0001,,
ST-JINAN-07,济南七站,repair_station,SC-JINAN,shandong,济南市解放路 105 号,0531-8888 0007,wecom,http://127.0.0.1/x
ST-JINAN-08,济南八站,repair_station,SC-JINAN,shandong,济南市解放路 106 号,0531-8888 0008,,
ST-BAD,坏站,repair_station,NOWHERE,shandong,济南市,0531-8888 0009,,
"""
TECHNICIANS = """name,phone,station,skills,active
王磊,13800000007,ST-JINAN-07,cooling;electrical,true
李强,13800000008,ST-JINAN-08,heating,
张伟,13800000009,ST-NOPE,,
"""


@pytest.fixture
def live(desk_settings, clock):
    with LiveServer(create_app(desk_settings, clock=clock, deliver=False), lifespan="on") as server:
        yield server


def test_sites_and_technicians_load_from_csv_with_row_errors_and_skips(live, tmp_path):
    with httpx.Client(base_url=live.url, headers=internal_headers(role="admin")) as client:
        rows = organisation.read_rows(SITES, organisation.SITE_COLUMNS, organisation.SITE_REQUIRED)
        done = organisation.send_all(client, rows, organisation.SITES, path="/sites")
        assert (done.created, done.skipped) == (2, 0)
        assert [(e.row, e.code) for e in done.errors] == [(3, "validation_error"), (5, "validation_error")]
        assert "webhook.url" in done.errors[0].message and "parent" in done.errors[1].message
        again = organisation.send_all(client, rows, organisation.SITES, path="/sites")
        assert (again.created, again.skipped, len(again.errors)) == (0, 2, 2)
        people = organisation.read_rows(TECHNICIANS, organisation.TECHNICIAN_COLUMNS,
                                        organisation.TECHNICIAN_REQUIRED)
        done = organisation.send_all(client, people, organisation.TECHNICIANS, path="/technicians")
        # 王磊's station was refused above (its webhook is not public): his row is refused too
        assert done.created == 1 and [(e.row, e.code) for e in done.errors] == [(2, "unknown_station"),
                                                                               (4, "unknown_station")]
        # the same file again: the rows that were made are replayed, not made twice
        again = organisation.send_all(client, people, organisation.TECHNICIANS, path="/technicians")
        assert (again.created, again.skipped) == (0, 1)
        listed = client.get("/technicians").json()["items"]
        assert [(t["name"], t["station"], t["skills"]) for t in listed] == [("李强", "ST-JINAN-08", ["heating"])]
        bad = common.bad_rows_csv(organisation.TECHNICIAN_COLUMNS, done.errors)
        assert bad[0][-2:] == ["error_code", "error"] and bad[1][:4] == ["2", "王磊", "13800000007", "ST-JINAN-07"]


def test_a_file_with_unknown_columns_is_refused_whole():
    with pytest.raises(ValueError, match="unknown columns: colour"):
        organisation.read_rows("code,name,colour\n", organisation.SITE_COLUMNS, organisation.SITE_REQUIRED)
    with pytest.raises(ValueError, match="missing columns: station"):
        organisation.read_rows("name,phone\n", organisation.TECHNICIAN_COLUMNS, organisation.TECHNICIAN_REQUIRED)
