"""Per-request context: the request id and the caller the gateway vouched for."""

from contextvars import ContextVar
from dataclasses import dataclass, field

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


@dataclass(frozen=True, slots=True)
class Caller:
    role: str
    key_id: str | None = None
    warehouses: frozenset[str] = field(default_factory=frozenset)

    def may_write_at(self, warehouse: str) -> bool:
        # A warehouse key with no list is not limited; admin is never limited.
        if self.role != "warehouse" or not self.warehouses:
            return True
        return warehouse.upper() in self.warehouses


SYSTEM = Caller(role="system", key_id=None)


def request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None):
    return _request_id.set(value)


def reset_request_id(token) -> None:
    _request_id.reset(token)
