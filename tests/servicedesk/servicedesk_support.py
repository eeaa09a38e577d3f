from datetime import UTC, datetime

from services.servicedesk import clients, outbox
from services.servicedesk.domain.calendar import CHINA

SERIAL = "KFR72-000001"
CALLER = {"name": "Li Na", "phone": "+86 531 8888 0001"}


def z(cst: str) -> str:
    """A China Standard Time wall clock as the wire's UTC text."""
    return datetime.fromisoformat(cst).replace(tzinfo=CHINA).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def report(level: int = 3, **extra) -> dict:
    body = {"serial_number": SERIAL, "caller": CALLER, "description": "No cooling", "level": level}
    body.update(extra)
    return body


async def deliver(app) -> int:
    return await outbox.deliver_due(app.state.uow, clients.upstreams(app), app.state.clock)


def milestone(ticket: dict, name: str) -> dict:
    return next(m for m in ticket["milestones"] if m["name"] == name)
