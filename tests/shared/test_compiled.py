"""shared/compiled.py's two helpers the drivers' paths share: the bounded cache of compiled statements
(`Kept`) and the rows of a statement that declares no columns, named as the driver names them."""

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from shared.compiled import Kept, Statement, driver_row

THING = sa.table("thing", sa.column("id", sa.Integer), sa.column("name", sa.String))
BY_ID = sa.select(THING.c.id, THING.c.name).where(THING.c.id == sa.bindparam("id"))


def test_kept_answers_what_it_kept_and_none_as_a_kept_answer():
    kept = Kept(4)
    statement = Statement.of(BY_ID, sqlite.dialect())
    assert kept.keep("by id", statement) is statement
    assert kept.get("by id") is statement
    assert kept.keep("cannot", None) is None
    assert "cannot" in kept  # kept: the caller is not asked to compile it again
    assert kept.get("cannot", kept) is None
    assert kept.get("never", kept) is kept


def test_kept_is_emptied_rather_than_grown_past_its_bound():
    kept = Kept(3)
    for key in range(3):
        kept.keep(key, None)
    kept.keep(1, None)  # a key it holds again: not a new one
    assert len(kept) == 3
    kept.keep("fourth", None)
    assert len(kept) == 1
    assert "fourth" in kept and 0 not in kept


def test_rows_of_declared_columns_keep_the_statements_names_and_never_ask_the_driver():
    statement = Statement.of(BY_ID, sqlite.dialect())

    def never():
        raise AssertionError("the driver's names were asked for declared columns")

    rows = statement.rows([(1, "甲"), (2, None)], never)
    assert [(row.id, row.name) for row in rows] == [(1, "甲"), (2, None)]


def test_rows_of_text_take_the_drivers_names_asked_once_and_only_with_rows():
    statement = Statement.of(sa.text("SELECT 1 AS one, 2 AS two"), sqlite.dialect())
    asked = []

    def names():
        asked.append(1)
        return ["one", "two"]

    assert statement.rows([], names) == [] and asked == []
    rows = statement.rows([(1, 2), (3, 4)], names)
    assert [(row.one, row.two) for row in rows] == [(1, 2), (3, 4)]
    assert asked == [1]


def test_driver_row_is_made_once_per_names_and_renames_what_a_tuple_cannot_hold():
    assert driver_row(("a", "b")) is driver_row(("a", "b"))
    row = driver_row(("count(*)", "a", "a"))(5, 1, 2)
    assert tuple(row) == (5, 1, 2) and row.a == 1
