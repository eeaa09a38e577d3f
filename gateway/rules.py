"""Who may do what: one table, read top to bottom, first match wins.

Two roles stand outside the table: `admin` may do everything, and `manager`
(domain.md section 7, api.md) reads every service's paths (GET and HEAD), the
figures and the audit trail, and changes nothing.

Warehouse scoping of `warehouse` keys is finer than a path (it depends on the
body), so the inventory service enforces it from the caller headers.
"""

import re

from shared.settings import SERVICES

READ = frozenset({"GET", "HEAD"})
ANY = None
EVERYONE = frozenset({"admin", "station", "warehouse", "billing", "desk"})

RULES: tuple[tuple[frozenset[str] | None, re.Pattern, frozenset[str]], ...] = tuple(
    (methods, re.compile(pattern), frozenset(roles))
    for methods, pattern, roles in (
        (READ, r"^/warranty/", EVERYONE),
        (frozenset({"POST"}), r"^/warranty/claims$", {"admin", "station"}),
        (frozenset({"POST"}), r"^/warranty/units/[^/]+/service-records$", {"admin", "station"}),
        (ANY, r"^/warranty/", {"admin"}),
        (READ, r"^/inventory/", EVERYONE),
        (ANY, r"^/inventory/(parts|models|warehouses)(/|$)", {"admin"}),
        (ANY, r"^/inventory/", {"admin", "warehouse"}),
        (frozenset({"PUT"}), r"^/billing/company$", {"admin"}),
        (ANY, r"^/billing/", {"admin", "billing"}),
        (READ, r"^/servicedesk/tickets(/|$)", {"desk", "station"}),
        (frozenset({"POST"}), r"^/servicedesk/tickets/[^/]+/(arrive|pause|resume|resolve)$", {"desk", "station"}),
        (frozenset({"PUT"}), r"^/servicedesk/(commitments|calendar)(/|$)", {"admin"}),
        (READ, r"^/servicedesk/(visits|visit-models)(/|$)", {"desk", "station"}),
        (frozenset({"POST"}), r"^/servicedesk/visits/[^/]+/record$", {"desk", "station"}),
        (frozenset({"POST"}), r"^/servicedesk/visits/plan$", {"desk", "billing"}),
        (frozenset({"PUT"}), r"^/servicedesk/visit-models(/|$)", {"admin"}),
        (READ, r"^/servicedesk/(sites|technicians)(/|$)", {"desk", "station", "manager"}),
        (ANY, r"^/servicedesk/(sites|technicians)(/|$)", {"admin"}),
        (READ, r"^/servicedesk/notifications$", {"desk", "station", "manager"}),
        (READ, r"^/servicedesk/audit$", {"manager"}),
        (ANY, r"^/servicedesk/", {"desk"}),
        # The figures and the audit trail (gateway/reports.py): managers, and each area's own staff for its
        # own figures; any method reaches the route, which answers 405 to all but GET (nothing changes them).
        (ANY, r"^/reports/service$", {"manager", "desk"}),
        (ANY, r"^/reports/warranty$", {"manager"}),
        (ANY, r"^/reports/parts$", {"manager", "warehouse"}),
        (ANY, r"^/reports/billing$", {"manager", "billing"}),
        (ANY, r"^/admin/audit$", {"manager"}),
        (ANY, r"^/admin/", {"admin"}),
        (READ, r"^/metrics$", {"metrics"}),
    )
)


# What a manager reads besides the figures and the trail (the table's /reports and /admin/audit rows).
SERVICE_PATHS = re.compile(rf"^/({'|'.join(SERVICES)})/")


def allowed(role: str, method: str, path: str) -> bool:
    if role == "admin":
        return True
    if role == "manager" and SERVICE_PATHS.match(path):
        return method in READ
    for methods, pattern, roles in RULES:
        if (methods is None or method in methods) and pattern.match(path):
            return role in roles
    return False
