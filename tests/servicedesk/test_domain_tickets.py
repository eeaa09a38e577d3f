"""What makes a report complete, when its clocks start, and which times an event may carry."""

from datetime import UTC, datetime

import pytest

from services.servicedesk.domain import tickets as rules


def t(hhmm: str) -> datetime:
    return datetime.fromisoformat(f"2026-03-02T{hhmm}:00").replace(tzinfo=UTC)


@pytest.mark.parametrize(("fields", "missing"), [
    ({}, ["description", "level", "caller.phone", "site_address"]),
    ({"description": "x", "level": 1, "phone": "1", "site_address": "a"}, []),
    ({"description": "x", "level": 1, "phone": "1", "unit_known": True}, []),
    ({"description": "x", "level": 1, "phone": "1", "unit_known": False}, ["site_address"]),
    ({"description": "x", "level": 1, "phone": "1", "unit_known": None}, ["site_address"]),
    ({"description": "", "level": 2, "phone": "1", "site_address": "a"}, ["description"]),
])
def test_missing_fields(fields, missing):
    values = {"description": None, "level": None, "phone": None, "site_address": None, "unit_known": None, **fields}
    assert rules.missing(**values) == missing


@pytest.mark.parametrize(("arrived", "unit_known", "expected"), [
    ({"description": "09:00", "level": "09:00", "phone": "09:05", "site_address": "09:20"}, None, "09:20"),
    ({"description": "09:00", "level": "09:30", "phone": "09:05", "site_address": "09:20"}, None, "09:30"),
    # a registered unit's serial given at 09:00 places the site before the address came at 09:20
    ({"description": "09:00", "level": "09:00", "phone": "09:05", "site_address": "09:20",
      "serial_number": "09:00"}, True, "09:05"),
    ({"description": "09:00", "level": "09:00", "phone": "09:05", "serial_number": "09:00"}, False, None),
    ({"description": "09:00", "level": "09:00", "serial_number": "09:00"}, True, None),
])
def test_clocks_start_when_the_last_missing_field_arrived(arrived, unit_known, expected):
    found = rules.complete_at({k: t(v) for k, v in arrived.items()}, unit_known=unit_known)
    assert found == (t(expected) if expected else None)


@pytest.mark.parametrize(("at", "previous", "ok"), [
    ("10:00", "09:00", True),
    ("09:00", "09:00", True),
    ("08:59", "09:00", False),
    ("12:01", None, False),
    ("12:00", None, True),
])
def test_event_times(at, previous, ok):
    reason = rules.valid_event_time(t(at), previous=t(previous) if previous else None, now=t("12:00"))
    assert (reason is None) == ok


@pytest.mark.parametrize(("action", "status", "ok"), [
    ("dispatch", "open", True), ("dispatch", "dispatched", True), ("dispatch", "on_site", False),
    ("dispatch", "incomplete", False), ("arrive", "dispatched", True), ("arrive", "open", False),
    ("resolve", "on_site", True), ("resolve", "dispatched", False), ("follow_up", "resolved", True),
    ("follow_up", "closed", False), ("cancel", "resolved", False), ("cancel", "incomplete", True),
    ("pause", "open", True), ("pause", "resolved", False), ("update", "closed", False),
])
def test_which_step_may_follow_which(action, status, ok):
    assert rules.allowed(action, status) is ok
