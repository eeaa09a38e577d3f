"""cli/stock_import.py without a platform: reading a spreadsheet's rows, the language, the row's key, and
what a run does with answers the platform gives only in a race or an outage (a replayed receipt, a request
still in flight, a gateway that went away). Against the real platform: tests/e2e/test_e2e_stock_import.py."""

import httpx
import pytest

from cli import stock_import as si


def test_rows_keep_the_spreadsheets_numbers_and_ignore_a_bad_rows_files_own_columns():
    text = ("\ufeffrow,part_number,warehouse,qty,error_code,error\n"
            "4,P-1,W1,3,part_not_found,no part\n"
            "\n"
            ",,,,,\n"
            "9, p-2 ,w1,2,,\n")
    rows = si.read_rows(text, si.STOCK_COLUMNS, si.STOCK_REQUIRED)
    assert [(r.number, r.values) for r in rows] == [
        (2, {"part_number": "P-1", "warehouse": "W1", "qty": "3"}),
        (5, {"part_number": "p-2", "warehouse": "w1", "qty": "2"})]
    with pytest.raises(ValueError, match="unknown columns: colour.*missing columns: qty"):
        si.read_rows("part_number,warehouse,colour\n", si.STOCK_COLUMNS, si.STOCK_REQUIRED)


@pytest.mark.parametrize(("qty", "expected"), [("5", 5), ("12.0", 12), ("1,000", 1000), ("0", 0)])
def test_a_quantity_is_a_whole_number(qty, expected):
    body = si.stock_body({"part_number": " fan-1", "warehouse": "sc-01 ", "qty": qty}, "期初库存")
    assert body == {"warehouse": "SC-01", "part_number": "FAN-1", "qty": expected, "reference": "期初库存"}


@pytest.mark.parametrize("qty", ["-2", "1.5", "abc", "1000001", "NaN", "inf"])
def test_a_quantity_that_is_not_a_whole_number_in_range_is_refused_before_sending(qty):
    with pytest.raises(si.Invalid) as refused:
        si.stock_body({"part_number": "P", "warehouse": "W", "qty": qty}, "r")
    assert refused.value.code == "invalid_qty"
    assert si.say("zh", refused.value.code, **refused.value.params).startswith("数量 qty 须为")


def test_prices_from_a_spreadsheet_and_what_is_refused():
    base = {"part_number": "p", "name": "n", "uom": "pcs", "out_of_warranty_price": "1"}
    assert si.part_body({**base, "list_price": "¥1,280.5"})["list_price"] == "1280.50"
    for price in ("1.234", "-1", "abc", "NaN"):
        with pytest.raises(si.Invalid) as refused:
            si.part_body({**base, "list_price": price})
        assert refused.value.code == "invalid_price"
    with pytest.raises(si.Invalid) as refused:
        si.part_body({**base, "list_price": "1", "name": ""})
    assert (refused.value.code, si.say("en", "missing_value", **refused.value.params)) == (
        "missing_value", "name is empty")


def test_the_language_from_the_option_the_variable_or_the_locale(monkeypatch):
    for name in ("AFTERSALES_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert si.language() == "en"
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert si.language() == "zh"
    monkeypatch.setenv("AFTERSALES_LANG", "en")
    assert si.language() == "en" and si.language("zh") == "zh"
    # a code the CLI has no words for keeps the platform's detail
    assert si.say("zh", "something_new", detail="as the platform said") == "as the platform said"


def test_the_key_is_made_from_what_the_row_sends():
    body = si.stock_body({"part_number": "p", "warehouse": "w", "qty": "3"}, "期初库存")
    same = si.stock_body({"part_number": " P ", "warehouse": "W", "qty": "3.0"}, "期初库存")
    assert si.row_key("stock", body) == si.row_key("stock", same)
    assert si.row_key("stock", body) != si.row_key("stock", {**body, "qty": 4})
    assert len(si.row_key("stock", body)) <= 200 and si.row_key("stock", body).isprintable()


ROWS = [si.Row(2, {"part_number": "P", "warehouse": "W", "qty": "3"}),
        si.Row(3, {"part_number": "Q", "warehouse": "W", "qty": "4"})]


def platform(answers: list[httpx.Response], sent: list[httpx.Request]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"items": [], "next_cursor": None})
        sent.append(request)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.Client(base_url="http://gateway", transport=httpx.MockTransport(handler))


def test_a_replayed_receipt_is_skipped_and_an_in_flight_one_is_waited_for():
    sent: list[httpx.Request] = []
    in_flight = httpx.Response(409, json={"code": "idempotency_in_progress"}, headers={"Retry-After": "1"})
    answers = [in_flight, httpx.Response(201, json={}, headers={"Idempotent-Replayed": "true"}),
               httpx.ConnectError("reset"), httpx.Response(201, json={})]
    waits: list[float] = []
    done = si.load(platform(answers, sent), ROWS, si.STOCK, lang="en", sleep=waits.append)
    assert (done.created, done.skipped, done.errors, done.done_before) == (1, 1, [], [2])
    assert waits == [1.0, 1]
    keys = [r.headers["Idempotency-Key"] for r in sent]
    assert keys[0] == keys[1] != keys[2] == keys[3]  # a repeat is the same request


def test_a_gateway_away_stops_the_run_with_what_was_done():
    sent: list[httpx.Request] = []
    away = httpx.Response(503, json={"code": "upstream_unavailable", "detail": "inventory is away"})
    with pytest.raises(si.Stopped) as stopped:
        si.load(platform([httpx.Response(201, json={}), *[away] * 4], sent), ROWS, si.STOCK, lang="en",
                sleep=lambda s: None)
    assert stopped.value.row == 3 and stopped.value.outcome.created == 1
    assert "upstream_unavailable" in str(stopped.value) and len(sent) == 5
