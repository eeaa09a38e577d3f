from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from services.inventory.domain import availability, catalog, consumption, expiry, guarantee
from services.inventory.domain.availability import Shortage
from services.inventory.domain.consumption import ConsumedLine, ConsumeRejected
from services.inventory.domain.guarantee import Shortfall


@pytest.mark.parametrize(("on_hand", "reserved", "expected"), [(0, 0, 0), (10, 0, 10), (10, 4, 6), (5, 5, 0)])
def test_available_is_on_hand_less_reserved(on_hand, reserved, expected):
    assert availability.available(on_hand, reserved) == expected


@pytest.mark.parametrize(
    ("lines", "have", "expected"),
    [
        ([("A", 1)], {"A": 1}, []),
        ([("A", 2)], {"A": 1}, [Shortage("A", 2, 1)]),
        ([("A", 1)], {}, [Shortage("A", 1, 0)]),
        # every short line is reported, in request order, the satisfiable ones left out
        ([("B", 5), ("A", 1), ("C", 3)], {"A": 9, "B": 4, "C": 0},
         [Shortage("B", 5, 4), Shortage("C", 3, 0)]),
        ([("A", 3), ("B", 3)], {"A": 3, "B": 3}, []),
        # a row somehow below zero never reports negative availability
        ([("A", 1)], {"A": -2}, [Shortage("A", 1, 0)]),
    ],
)
def test_shortages_list_every_short_line(lines, have, expected):
    assert availability.shortages(lines, have) == expected


@pytest.mark.parametrize(
    ("on_hand", "reserved", "delta", "expected"),
    [
        (10, 0, -10, None),
        (10, 4, -6, None),
        (10, 4, -7, Shortage("A", 7, 6)),
        (0, 0, 5, None),
        (0, 0, -1, Shortage("A", 1, 0)),
        (3, 3, 2, None),
    ],
)
def test_an_adjustment_never_goes_below_reserved(on_hand, reserved, delta, expected):
    assert availability.adjustment_shortage("A", on_hand=on_hand, reserved=reserved, delta=delta) == expected


@pytest.mark.parametrize(
    ("reserved", "used", "expected"),
    [
        ({"A": 2, "B": 1}, None, [ConsumedLine("A", 2, 2), ConsumedLine("B", 1, 1)]),
        ({"A": 2, "B": 1}, [("A", 1), ("B", 1)], [ConsumedLine("A", 2, 1), ConsumedLine("B", 1, 1)]),
        # a reserved part left out of the list was not used
        ({"A": 2, "B": 1}, [("A", 2)], [ConsumedLine("A", 2, 2), ConsumedLine("B", 1, 0)]),
        ({"A": 2}, [("A", 0)], [ConsumedLine("A", 2, 0)]),
        ({"A": 2}, [], [ConsumedLine("A", 2, 0)]),
    ],
)
def test_partial_consume_arithmetic(reserved, used, expected):
    plan = consumption.plan_consume(reserved, used)
    assert plan == expected
    assert [line.returned for line in plan] == [e.reserved - e.consumed for e in expected]


@pytest.mark.parametrize(
    ("used", "fields"),
    [
        ([("A", 3)], ["lines.0.qty"]),
        ([("Z", 1)], ["lines.0.part_number"]),
        ([("A", 1), ("A", 1)], ["lines.1.part_number"]),
        ([("A", -1)], ["lines.0.qty"]),
        ([("Z", 1), ("A", 5)], ["lines.0.part_number", "lines.1.qty"]),
    ],
)
def test_consume_lines_that_do_not_fit_are_refused_all_at_once(used, fields):
    with pytest.raises(ConsumeRejected) as raised:
        consumption.plan_consume({"A": 2}, used)
    assert [p.field for p in raised.value.problems] == fields


@pytest.mark.parametrize(
    ("discontinued_on", "through"),
    [
        (None, None),
        (date(2024, 3, 1), date(2027, 3, 1)),
        (date(2024, 2, 29), date(2027, 2, 28)),  # leap day: the last day of February
        (date(2023, 8, 31), date(2026, 8, 31)),
        (date(2025, 1, 31), date(2028, 1, 31)),
        (date(2027, 2, 28), date(2030, 2, 28)),
        (date(2025, 12, 31), date(2028, 12, 31)),
    ],
)
def test_guarantee_runs_three_years_by_the_civil_code_rule(discontinued_on, through):
    assert guarantee.guaranteed_through(discontinued_on) == through


@pytest.mark.parametrize(
    ("discontinued_on", "on", "expected"),
    [
        (None, date(2099, 1, 1), True),
        (date(2024, 2, 29), date(2027, 2, 28), True),  # the end day is covered
        (date(2024, 2, 29), date(2027, 3, 1), False),
        (date(2030, 1, 1), date(2026, 1, 1), True),  # discontinued later: still in production
        (date(2020, 1, 1), date(2023, 1, 2), False),
    ],
)
def test_is_guaranteed_on_a_day(discontinued_on, on, expected):
    assert guarantee.is_guaranteed(discontinued_on, on) is expected


def _short(part, minimum, total):
    return Shortfall(part, minimum, total, ("M1",))


@pytest.mark.parametrize(
    ("candidates", "order"),
    [
        # none of 4 left outranks 10 short of 100
        ([_short("A", 100, 90), _short("B", 4, 0)], ["B", "A"]),
        # same share missing: the larger gap first
        ([_short("A", 10, 5), _short("B", 100, 50)], ["B", "A"]),
        # same share and gap: by part number
        ([_short("B", 10, 5), _short("A", 10, 5)], ["A", "B"]),
        # at or above minimum, or no minimum: not reported
        ([_short("A", 10, 10), _short("B", 0, 0), _short("C", 5, 7), _short("D", 5, 4)], ["D"]),
        ([_short("A", 3, 2), _short("B", 3, 1), _short("C", 3, 0)], ["C", "B", "A"]),
    ],
)
def test_shortfalls_come_most_urgent_first(candidates, order):
    assert [s.part_number for s in guarantee.shortfalls(candidates)] == order


def test_short_by_is_the_gap_to_the_minimum():
    assert _short("A", 10, 3).short_by == 7


T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "expires", "now", "expected"),
    [
        ("active", T0, T0 - timedelta(seconds=1), "active"),
        ("active", T0, T0, "expired"),  # expiry is due at the instant itself
        ("active", T0, T0 + timedelta(days=1), "expired"),
        ("consumed", T0, T0 + timedelta(days=1), "consumed"),
        ("released", T0, T0 + timedelta(days=1), "released"),
    ],
)
def test_status_at_a_time(status, expires, now, expected):
    assert expiry.status_at(status, expires, now) == expected


def test_default_ttl_is_seventy_two_hours_after_creation():
    assert expiry.expires_at(T0, 259_200) == datetime(2026, 1, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "code", "valid"),
    [(" p-100 ", "P-100", True), ("abc.def/1_2", "ABC.DEF/1_2", True), ("-X", "-X", False),
     ("A B", "A B", False), ("", "", False), ("x" * 41, "X" * 41, False)],
)
def test_codes_are_trimmed_upper_case(raw, code, valid):
    assert catalog.normalise_code(raw) == code
    assert catalog.is_valid_code(code) is valid


@pytest.mark.parametrize(
    ("list_price", "oow", "ok"),
    [("100.00", "80.00", True), ("100.00", "100.00", True), ("100.00", "100.01", False), ("0", "0", True)],
)
def test_out_of_warranty_price_is_never_above_list(list_price, oow, ok):
    assert (catalog.price_problem(Decimal(list_price), Decimal(oow)) is None) is ok
