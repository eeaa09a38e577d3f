"""Values written into a statement's text as PostgreSQL literals (shared/literals.py): exact or refused, never a
second reading of the text; and, on PostgreSQL, each literal read back by the server as the value it was."""

import asyncio
import os
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.literals import inline, literal

CASES = [
    (None, "NULL"),
    (True, "true"),
    (False, "false"),
    (0, "(0)"),
    (-7, "(-7)"),
    (Decimal("-12.30"), "(-12.30)"),
    ("", "''"),
    ("O'Brien", "'O''Brien'"),
    ("a\\b", "'a\\b'"),
    ("济南 $1", "'济南 $1'"),
    (date(2026, 2, 28), "'2026-02-28'"),
    (time(8, 30), "'08:30:00'"),
    (datetime(2026, 12, 8, 1, 2, 3, 4, tzinfo=UTC), "'2026-12-08T01:02:03.000004+00:00'"),
    (b"\x00\xff", "'\\x00ff'"),
]


@pytest.mark.parametrize(("value", "written"), CASES)
def test_each_value_is_written_exactly(value, written):
    assert literal(value) == written


@pytest.mark.parametrize("value", [1.5, Decimal("NaN"), Decimal("Infinity"), "a\x00b", datetime(2026, 1, 1),
                                   [1, 2], {"a": 1}, object()])
def test_what_cannot_be_written_exactly_is_refused(value):
    with pytest.raises(TypeError):
        literal(value)


def test_parameters_are_replaced_once_and_by_number():
    sql = "UPDATE t SET a=$1::VARCHAR, b=$2::BIGINT WHERE id = $10::INTEGER"
    args = ["$2", 5, 3, 4, 5, 6, 7, 8, 9, -1]
    assert inline(sql, args) == "UPDATE t SET a='$2'::VARCHAR, b=(5)::BIGINT WHERE id = (-1)::INTEGER"


@pytest.mark.parametrize("sql", ["SELECT 'a' || $1::VARCHAR", "SELECT $$x$$, $1::INTEGER"])
def test_a_statement_with_its_own_quotes_or_dollars_is_not_rewritten(sql):
    with pytest.raises(TypeError):
        inline(sql, [1])


@given(st.text())
def test_a_string_literal_is_one_quoted_token(text):
    if "\x00" in text:
        return
    written = literal(text)
    inner = written[1:-1]
    assert written[0] == written[-1] == "'"
    assert inner.replace("''", "") .count("'") == 0  # every quote inside is doubled: the literal cannot end early
    assert inner.replace("''", "'") == text


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL only (TEST_DATABASE_URL)")
@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.text().filter(lambda s: "\x00" not in s), st.integers(-2**63, 2**63 - 1),
                          st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-10**12,
                                      max_value=10**12),
                          st.datetimes(timezones=st.just(UTC), min_value=datetime(1, 1, 2),
                                       max_value=datetime(9999, 12, 30)),
                          st.dates(), st.booleans(), st.binary(max_size=40)), min_size=1, max_size=6))
def test_postgresql_reads_each_literal_back_as_the_value(values):
    asyncio.run(_read_back(values))


def _cast(value) -> str:
    kinds = [(bool, "BOOLEAN"), (int, "BIGINT"), (Decimal, "NUMERIC"), (str, "VARCHAR"), (datetime, "TIMESTAMPTZ"),
             (date, "DATE"), (bytes, "BYTEA")]
    return next(kind for python, kind in kinds if isinstance(value, python))


async def _read_back(values):
    import asyncpg
    from sqlalchemy import make_url

    url = make_url(os.environ["TEST_DATABASE_URL"]).set(drivername="postgresql", query={})
    connection = await asyncpg.connect(url.render_as_string(hide_password=False),
                                       server_settings={"standard_conforming_strings": "on"})
    try:
        sql = "SELECT " + ", ".join(f"${i}::{_cast(value)}" for i, value in enumerate(values, 1))
        row = await connection.fetchrow(inline(sql, values))
    finally:
        await connection.close()
    for value, back in zip(values, row, strict=True):
        if isinstance(value, datetime):
            assert back == value and back.utcoffset() == timedelta(0)
        else:
            assert back == value


def test_an_offset_other_than_utc_is_kept_in_the_literal():
    value = datetime(2026, 12, 8, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    assert literal(value) == "'2026-12-08T09:00:00+08:00'"
