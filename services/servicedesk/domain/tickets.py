"""What makes a fault report complete, and which step may follow which."""

from datetime import datetime

from shared.contracts import servicedesk as contract

LEVELS = contract.LEVELS
STATUSES = contract.TICKET_STATUSES
ACTIVE = ("open", "dispatched", "on_site")
PAUSE_REASONS = contract.PAUSE_REASONS
CHANNELS = contract.CHANNELS

# The step each action may follow (status before -> allowed).
ALLOWED_FROM = {
    "update": ("incomplete", *ACTIVE),
    "dispatch": ("open", "dispatched"),
    "arrive": ("dispatched",),
    "pause": ACTIVE,
    "resume": ACTIVE,
    "resolve": ("on_site",),
    # Fixed on the phone or remotely: no arrival needed (domain.md section 8).
    "resolve_without_visit": ("open", "dispatched", "on_site"),
    "follow_up": ("resolved",),
    "cancel": ("incomplete", *ACTIVE),
}


def allowed(action: str, status: str) -> bool:
    return status in ALLOWED_FROM[action]


def missing(*, description: str | None, level: int | None, phone: str | None, site_address: str | None,
            unit_known: bool | None) -> list[str]:
    """The fields a report still lacks; a registered unit's site stands for the address."""
    lacking = []
    if not description:
        lacking.append("description")
    if level is None:
        lacking.append("level")
    if not phone:
        lacking.append("caller.phone")
    if not site_address and not unit_known:
        lacking.append("site_address")
    return lacking


def complete_at(arrived: dict[str, datetime | None], *, unit_known: bool | None) -> datetime | None:
    """When the last missing field arrived: the clocks start there (None while incomplete).

    `arrived` maps description, level, phone, site_address and serial_number to
    when each was first given; the place is known from the earlier of the
    address and a registered unit's serial.
    """
    places = [arrived.get("site_address")]
    if unit_known:
        places.append(arrived.get("serial_number"))
    known_places = [p for p in places if p is not None]
    needed = [arrived.get("description"), arrived.get("level"), arrived.get("phone")]
    if not known_places or any(n is None for n in needed):
        return None
    return max([*needed, min(known_places)])


def valid_event_time(at: datetime, *, previous: datetime | None, now: datetime) -> str | None:
    """Why `at` cannot be an event's time, or None: never in the future, never before the previous step."""
    if at > now:
        return "an event cannot be logged in the future"
    if previous is not None and at < previous:
        return f"an event cannot come before the ticket's previous step ({previous.isoformat()})"
    return None
