"""The web app's sections, one per role's work. A new role's pages are one routes module, one
template folder, and one line here and in gateway.web.ROUTES."""

from dataclasses import dataclass

from gateway.web.i18n import N_
from shared.context import Caller


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    title: str
    roles: frozenset[str]
    home: str
    summary: str


SECTIONS = (
    Section("station", N_("Repair station"), frozenset({"station"}), "/app/station",
            N_("Look up a unit, see its warranty, file a claim, log a visit.")),
    Section("warehouse", N_("Warehouse"), frozenset({"warehouse"}), "/app/warehouse",
            N_("Stock everywhere, reserve and issue parts, goods in, transfers, supply guarantee.")),
    Section("billing", N_("Billing"), frozenset({"billing"}), "/app/billing",
            N_("Bill a repair, print, pay or void bills, maintenance contracts.")),
    Section("desk", N_("Service desk"), frozenset({"desk"}), "/app/desk",
            N_("Take a fault report, the board by urgency, dispatch, follow-up calls, complaints.")),
    Section("manager", N_("Figures"), frozenset({"manager"}), "/app/manager",
            N_("Each area's figures for a month or a period as charts and tables, Excel files, the audit trail.")),
    Section("admin", N_("Administration"), frozenset({"admin"}), "/app/admin",
            N_("People, API keys, units and their import, policy, seasons, parts, models, warehouses, "
               "sites, technicians, desk settings, rates.")),
)


def visible(caller: Caller | None) -> list[Section]:
    if caller is None:
        return []
    return [s for s in SECTIONS if caller.role == "admin" or caller.role in s.roles]


def home_for(caller: Caller) -> str:
    shown = visible(caller)
    if caller.role != "admin" and len(shown) == 1:
        return shown[0].home
    return "/app/"
