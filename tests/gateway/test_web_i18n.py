"""The web app's words and formats: every message translated, dates and money as written in China."""

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from gateway.web import i18n, words

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "gateway" / "web"
METHOD_MAP = [("**.py", "python"), ("**.html", "jinja2")]
OPTIONS = {"**.html": {"extensions": "jinja2.ext.i18n"}}


def extracted() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(WEB), METHOD_MAP, OPTIONS, keywords={"_": None, "N_": None, "gettext": None}):
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(lang: str) -> dict[str, str]:
    with (WEB / "locale" / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id}


def test_every_message_the_pages_show_is_in_both_catalogs():
    messages = extracted()
    assert len(messages) > 200
    for lang in i18n.LANGUAGES:
        assert messages - set(catalog(lang)) == set(), f"run `make messages` and translate ({lang})"


def test_every_message_has_a_chinese_translation_keeping_its_placeholders():
    import re

    for english, chinese in catalog("zh_CN").items():
        assert chinese, f"untranslated: {english!r}"
        assert sorted(re.findall(r"%\(\w+\)s", english)) == sorted(re.findall(r"%\(\w+\)s", chinese)), english


def test_every_problem_code_and_reason_the_services_use_is_explained():
    codes = {"unit_not_found", "insufficient_stock", "reservation_not_active", "invalid_invoice_state",
             "invalid_contract_state", "upstream_unavailable", "upstream_timeout", "forbidden", "warehouse_forbidden",
             "validation_error", "rate_limited", "idempotency_in_progress"}
    assert codes <= set(words.PROBLEMS)
    from services.warranty.domain.adjudication import KNOWN_CAUSES, REASON_ORDER
    from services.warranty.domain.terms import COMPONENTS

    assert set(REASON_ORDER) == set(words.REASONS)
    assert set(KNOWN_CAUSES) == set(words.CAUSES)
    assert set(COMPONENTS) == set(words.COMPONENTS)


@pytest.fixture(scope="module")
def catalogs():
    return i18n.Catalogs()


@pytest.mark.parametrize(("lang", "value", "expected"), [
    ("zh_CN", date(2026, 11, 27), "2026年11月27日"),
    ("zh_CN", "2027-03-01", "2027年3月1日"),
    ("en", date(2026, 11, 27), "27 Nov 2026"),
    ("zh_CN", None, "—"),
])
def test_dates_are_written_as_people_write_them(catalogs, lang, value, expected):
    assert catalogs.get(lang).date(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("1469.00", "¥1,469.00"), (Decimal("0"), "¥0.00"), ("1234567.5", "¥1,234,567.50"), ("-50.00", "-¥50.00"),
])
def test_money_is_in_yuan_with_thousands_separators_in_both_languages(catalogs, value, expected):
    assert catalogs.get("zh_CN").money(value) == expected
    assert catalogs.get("en").money(value) == expected


def test_timestamps_are_shown_in_china_standard_time(catalogs):
    # 17:30 UTC is half past one in the morning of the next day in Beijing.
    assert catalogs.get("zh_CN").timestamp(datetime(2026, 11, 26, 17, 30, tzinfo=UTC)) == "2026年11月27日 01:30"
    assert catalogs.get("en").timestamp("2026-11-26T17:30:00Z") == "27 Nov 2026 01:30"


def test_chinese_is_the_default_and_english_is_on_request(catalogs):
    assert i18n.pick("en") == "en" and i18n.pick("zh") == "zh_CN" and i18n.pick("fr") is None
    assert catalogs.get(i18n.DEFAULT).gettext("Sign in") == "登录"
    assert catalogs.get("en").gettext("Sign in") == "Sign in"
    assert catalogs.get("zh_CN").gettext("%(days)s days left", days=94) == "剩余 94 天"
    assert catalogs.get("zh_CN").percent("0.13") == "13%"
