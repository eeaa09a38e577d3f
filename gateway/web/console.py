"""The admin console (管理控制台) at /app/admin: the master data and settings an administrator keeps,
each page calling the same APIs as outside clients under the gateway's rules (never a database).
Units and their import, the warranty policy and season calendars, parts, models and their bills of
parts, warehouses, the service desk's commitments and working calendars, the rate card, sites,
technicians and the company on every bill. Each area is a console_*.py module; this one is the menu."""

from fastapi import APIRouter

from gateway.web import console_billing, console_catalog, console_desk, console_org, console_units, console_warranty
from gateway.web.console_common import AdminPage, show
from gateway.web.i18n import N_

router = APIRouter(prefix="/app/admin")
# (address, title, what it is for), in the order an installation is set up.
TILES = (
    ("/app/admin/users", N_("People"), N_("Accounts, roles and scope, one-time passwords, disabling.")),
    ("/app/admin/keys", N_("API keys"), N_("Keys for programs, bound to a station or warehouses.")),
    ("/app/admin/units", N_("Units"), N_("Find a unit by serial number, see its terms, register one.")),
    ("/app/admin/units/import", N_("Import units"), N_("Register a whole project from a CSV file.")),
    ("/app/admin/policy", N_("Warranty policy"), N_("The term of each category, a new version.")),
    ("/app/admin/seasons", N_("Season calendars"), N_("Each region's heating and cooling season.")),
    ("/app/admin/parts", N_("Parts"), N_("The catalogue, prices, minimum stock, retiring a part.")),
    ("/app/admin/models", N_("Models"), N_("Models, their bills of parts, the discontinuation day.")),
    ("/app/admin/warehouses", N_("Warehouses"), N_("The central warehouse, service centres, stations.")),
    ("/app/admin/commitments", N_("Desk commitments"), N_("Minutes and clock of each level's promises.")),
    ("/app/admin/calendar", N_("Working calendar"), N_("A year's holidays and make-up working days.")),
    ("/app/admin/rates", N_("Rate card"), N_("Labour rate, call-out fee, VAT rate.")),
    ("/app/admin/sites", N_("Sites"), N_("Service centres and repair stations, their robots.")),
    ("/app/admin/technicians", N_("Technicians"), N_("Who works at which station, their skills.")),
    ("/app/admin/company", N_("Company details"), N_("The company named on every bill.")),
    ("/app/admin/audit", N_("Audit trail"), N_("Every change, who made it and when.")),
)


@router.get("")
@router.get("/")
async def home(page: AdminPage):
    return show(page, "console/home.html", tiles=TILES)


for _module in (console_units, console_warranty, console_catalog, console_desk, console_billing, console_org):
    router.include_router(_module.router)
