"""The rate card: seeded by the migration, changed by dated versions."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, delete, select

from services.billing.models import RateCard
from shared import migrations

from billing_support import post_repair, repair_body
from helpers import assert_problem

pytestmark = pytest.mark.anyio

NEW = {"labor_rate_per_hour": "95.00", "callout_fee": "60.00", "vat_rate": "0.09", "currency": "CNY"}


def test_migration_seeds_the_default_rate_card(tmp_path):
    url = f"sqlite:///{tmp_path / 'billing.sqlite3'}"
    migrations.upgrade("billing", url)
    engine = create_engine(url)
    with engine.connect() as conn:
        card = conn.execute(select(RateCard.__table__)).one()
    engine.dispose()
    assert (card.id, card.labor_rate_per_hour, card.callout_fee, card.vat_rate, card.currency) == (
        1, Decimal("80.00"), Decimal("50.00"), Decimal("0.1300"), "CNY")


async def test_default_rate_card_is_in_force(billing):
    response = await billing.get("/rates")
    assert response.status_code == 200
    assert response.json() == {"version": 1, "labor_rate_per_hour": "80.00", "callout_fee": "50.00",
                               "vat_rate": "0.13", "currency": "CNY",
                               "effective_from": "2000-01-01T00:00:00Z", "created_at": "2000-01-01T00:00:00Z"}


async def test_put_makes_a_new_version_in_force_from_now(billing):
    response = await billing.put("/rates", json=NEW)
    assert response.status_code == 200, response.text
    card = response.json()
    assert card["version"] > 1
    assert {k: card[k] for k in NEW} == NEW
    assert card["effective_from"] == "2026-03-02T09:00:00Z"
    assert (await billing.get("/rates")).json() == card
    versions = (await billing.get("/rates/versions")).json()["items"]
    assert [v["version"] for v in versions] == [card["version"], 1]


async def test_put_dated_in_the_future_takes_effect_then(billing, clock):
    response = await billing.put("/rates", json={**NEW, "effective_from": "2026-04-01T00:00:00+08:00"})
    assert response.status_code == 200
    assert response.json()["effective_from"] == "2026-03-31T16:00:00Z"
    assert (await billing.get("/rates")).json()["version"] == 1
    clock.set(datetime(2026, 3, 31, 16, 0, tzinfo=UTC))
    assert (await billing.get("/rates")).json()["labor_rate_per_hour"] == "95.00"


async def test_put_dated_in_the_past_is_422(billing):
    response = await billing.put("/rates", json={**NEW, "effective_from": "2026-03-01T00:00:00Z"})
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"][0]["field"] == "effective_from"


@pytest.mark.parametrize(
    "change",
    [
        {"labor_rate_per_hour": 95.0},
        {"labor_rate_per_hour": "95.001"},
        {"callout_fee": "-1.00"},
        {"vat_rate": "1"},
        {"vat_rate": 0.13},
        {"vat_rate": "0.12345"},
        {"currency": "cny"},
        {"effective_from": "2026-04-01T00:00:00"},
        {"version": 3},
    ],
)
async def test_invalid_rate_card_is_422(billing, change):
    assert_problem(await billing.put("/rates", json={**NEW, **change}), 422, "validation_error")


async def test_no_rate_card_in_force_is_404_for_rates_and_for_bills(billing, billing_db):
    with billing_db.engine.begin() as conn:
        conn.execute(delete(RateCard.__table__))
    assert_problem(await billing.get("/rates"), 404, "rate_card_not_found")
    assert_problem(await post_repair(billing, repair_body()), 404, "rate_card_not_found")
