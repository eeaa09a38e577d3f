"""Per-request context: the request id and the caller the gateway vouched for."""

from contextvars import ContextVar
from dataclasses import dataclass, field

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks. `key_id` is the actor's id (a key's id, or `user:<id>` for a person signed in);
    `kind` says which (`key`, `user` or `system`); `name` is what pages and timelines show (the
    person's display name or the key's name); `station` is the site a station person or a
    station-bound key works for (a repair station, or a service centre and its stations), empty
    when not bound. The service that owns the sites decides what a centre's scope covers."""

    role: str
    key_id: str | None = None
    warehouses: frozenset[str] = field(default_factory=frozenset)
    kind: str = "key"
    name: str = ""
    station: str = ""

    @property
    def display(self) -> str:
        """The name to show: the person's or key's name, else the role (never an internal id)."""
        return self.name or self.role

    def actor(self) -> dict:
        """The caller as timelines and the audit trail record it."""
        return {"kind": self.kind, "id": self.key_id or "", "name": self.display}

    def may_write_at(self, warehouse: str) -> bool:
        # A warehouse key with no list is not limited; admin is never limited.
        if self.role != "warehouse" or not self.warehouses:
            return True
        return warehouse.upper() in self.warehouses


SYSTEM = Caller(role="system", key_id=None, kind="system", name="system")


def request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None):
    return _request_id.set(value)


def reset_request_id(token) -> None:
    _request_id.reset(token)
