"""The services' published contracts: each operation's limits and enums declared once.

One module per service (`servicedesk`, ...), and `common` for what every service shares (ids, quantities,
names, long texts, serial numbers). A service's schemas build their pydantic fields from these values; its
callers and the web app (Jinja globals such as `desk_contract`, the form handlers' own checks) read the same
values, so a page never restates a limit. The answers one service reads from another are here too, as pydantic
wire models the owner's schemas re-use and the callers' clients parse with. Plain Python, `typing`, pydantic
and `shared` only: a domain module, a service, the gateway and the web app may all import them (the architecture
check forbids importing another service's internals, not `shared`).
"""

from typing import get_args


def values(literal) -> tuple:
    """A Literal type's values as a tuple, in their declared order (for forms and checks)."""
    return get_args(literal)
