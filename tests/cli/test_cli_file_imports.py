"""The spreadsheet import commands run end to end against a fake gateway: each sends its rows to its own
path, writes the refused rows to --errors in the file's columns, and refuses a file that is not UTF-8 text
as bad usage before sending anything."""

import csv

import httpx
import pytest
from typer.testing import CliRunner

from cli import main

FILES = {
    "import-sites": ("/servicedesk/sites", "code,name,kind,region,address,phone\n"
                     "ST-1,一站,repair_station,shandong,济南市,0531\nST-2,二站,repair_station,shandong,济南市,0532\n"),
    "import-technicians": ("/servicedesk/technicians", "name,phone,station\n王磊,138,ST-1\n李强,139,ST-2\n"),
    "import-parts": ("/inventory/parts", "part_number,name,uom,list_price,out_of_warranty_price\n"
                     "p-1,压缩机,pcs,10.00,12.00\np-2,风扇,pcs,1.00,2.00\n"),
    "import-warehouses": ("/inventory/warehouses", "code,name,kind,region\nw1,一库,central,shandong\n"
                          "w2,二库,central,shandong\n"),
}


@pytest.fixture
def posted(monkeypatch) -> list[httpx.Request]:
    """The gateway as a handler: the first row made, the second refused."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if len(sent) == 1:
            return httpx.Response(201, json={})
        return httpx.Response(422, json={"code": "validation_error", "detail": "refused"})

    real = httpx.Client
    monkeypatch.setattr(main.httpx, "Client", lambda **kw: real(transport=httpx.MockTransport(handler), **kw))
    return sent


@pytest.mark.parametrize("command", sorted(FILES))
def test_each_import_posts_its_rows_and_writes_the_refused_ones(command, posted, tmp_path):
    path, text = FILES[command]
    file, bad = tmp_path / "in.csv", tmp_path / "bad.csv"
    file.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main.app, ["--key", "k", command, str(file), "--errors", str(bad)],
                                catch_exceptions=False)
    assert result.exit_code == (1 if command in ("import-parts", "import-warehouses") else 0), result.output
    assert "created: 1\nskipped: 0\nerrors: 1" in result.stdout
    assert [(r.method, r.url.path) for r in posted] == [("POST", path)] * 2
    assert all(r.headers["Idempotency-Key"].startswith("import-") for r in posted)
    refused = list(csv.DictReader(bad.open(encoding="utf-8")))
    sent = dict(zip(text.splitlines()[0].split(","), text.splitlines()[2].split(","), strict=True))
    assert [(r["row"], r["error_code"]) for r in refused] == [("3", "validation_error")]
    assert {name: refused[0][name] for name in sent} == sent


@pytest.mark.parametrize("command", sorted(FILES))
def test_a_file_that_is_not_utf8_is_bad_usage_and_nothing_is_sent(command, posted, tmp_path):
    file = tmp_path / "in.csv"
    file.write_bytes(FILES[command][1].encode("gb18030"))
    result = CliRunner().invoke(main.app, ["--key", "k", command, str(file)])
    assert result.exit_code == 2 and "not UTF-8 text" in result.output and posted == []


@pytest.mark.parametrize("command", sorted(FILES))
def test_a_file_with_an_unknown_column_is_bad_usage(command, posted, tmp_path):
    file = tmp_path / "in.csv"
    file.write_text("colour\nred\n", encoding="utf-8")
    result = CliRunner().invoke(main.app, ["--key", "k", command, str(file)])
    assert result.exit_code == 2 and "unknown columns: colour" in result.output and posted == []
