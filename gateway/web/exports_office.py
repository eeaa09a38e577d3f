"""The warehouse's, billing's and the admin console's lists as workbooks: stock, the stock ledger,
reservations, bills, contracts and units."""

from fastapi import APIRouter

from gateway.web import i18n, pages, station, warehouse, words
from gateway.web.billing import BillingPage
from gateway.web.console_common import AdminPage
from gateway.web.exports_common import Col, download, failed_page, listed, say, walk, yes_no
from gateway.web.i18n import N_
from gateway.web.pages import Page
from gateway.web.warehouse import WarehousePage
from shared.contracts import common

router = APIRouter()


# ---- the warehouse: stock, the ledger, reservations ----

async def warehouse_names(page: Page) -> dict[str, dict]:
    return {w["code"]: w for w in (await walk(page, "/inventory/warehouses")).items if w.get("code")}


STOCK_COLUMNS = (Col(N_("Warehouse")), Col(N_("Name")), Col(N_("Kind")), Col(N_("Part number")), Col(N_("Part")),
                 Col(N_("On hand"), "int"), Col(N_("Reserved"), "int"), Col(N_("Available"), "int"))


@router.get("/app/warehouse.xlsx")
async def stock_workbook(page: WarehousePage):
    """A part's stock in every warehouse, as the page shows it; without a part, every part's."""
    part_number = page.request.query_params.get("part_number", "").strip().upper()
    if part_number:
        found = await pages.call(page, "GET", f"/inventory/parts/{pages.seg(part_number)}")
        if not found.ok:
            return failed_page(page, found)
        parts = {part_number: found.data}
    else:
        parts = {p["part_number"]: p for p in (await walk(page, "/inventory/parts")).items if p.get("part_number")}
    walked = await walk(page, "/inventory/stock", {"part_number": part_number})
    if walked.failed is not None:
        return failed_page(page, walked.failed, warehouse.refused)
    names, t = await warehouse_names(page), page.t

    def rows():
        for s in walked.items:
            place = names.get(s.get("warehouse")) or {}
            yield [s.get("warehouse"), place.get("name"), say(t, words.WAREHOUSE_KINDS, place.get("kind")),
                   s.get("part_number"), (parts.get(s.get("part_number")) or {}).get("name"), s.get("on_hand"),
                   s.get("reserved"), s.get("available")]

    return download(page, "stock", N_("Stock"), STOCK_COLUMNS, rows(), more=walked.more,
                    filters=[(N_("Part number"), part_number)])


MOVEMENT_COLUMNS = (Col(N_("No."), "int"), Col(N_("When"), "datetime"), Col(N_("Kind")), Col(N_("Warehouse")),
                    Col(N_("Part number")), Col(N_("Quantity"), "int"), Col(N_("Reference")), Col(N_("Reason")),
                    Col(N_("Reservation"), "int"))


@router.get("/app/warehouse/movements.xlsx")
async def movements_workbook(page: WarehousePage):
    """The stock ledger, oldest first, of a part and/or a warehouse (a warehouse person's: its warehouses)."""
    params = page.request.query_params
    query = {"part_number": params.get("part_number", "").strip().upper()[:common.SEARCH_MAX_LENGTH],
             "warehouse": params.get("warehouse", "").strip().upper()[:common.SEARCH_MAX_LENGTH]}
    walked = await walk(page, "/inventory/movements", query)
    if walked.failed is not None:
        return failed_page(page, walked.failed, warehouse.refused)
    t = page.t
    rows = ([m.get("id"), m.get("at"), say(t, words.MOVEMENT_KINDS, m.get("kind")), m.get("warehouse"),
             m.get("part_number"), m.get("qty"), m.get("reference"), m.get("reason"), m.get("reservation_id")]
            for m in walked.items)
    return download(page, "movements", N_("Stock movements"), MOVEMENT_COLUMNS, rows, more=walked.more,
                    filters=[(N_("Part number"), query["part_number"]), (N_("Warehouse"), query["warehouse"])])


RESERVATION_COLUMNS = (Col(N_("No."), "int"), Col(N_("Repair reference")), Col(N_("Warehouse")), Col(N_("Status")),
                       Col(N_("Reserved at"), "datetime"), Col(N_("Expires"), "datetime"),
                       Col(N_("Closed at"), "datetime"), Col(N_("Part number")), Col(N_("Part")),
                       Col(N_("Quantity"), "int"), Col(N_("Quantity issued"), "int"), Col(N_("List price"), "money"),
                       Col(N_("Out-of-warranty price"), "money"))


@router.get("/app/warehouse/reservations.xlsx")
async def reservations_workbook(page: WarehousePage):
    """One row per part line; the page's filters (nothing chosen: the newest in this person's scope)."""
    query = {k: page.request.query_params.get(k, "").strip() for k in ("reference", "status", "warehouse")}
    walked = await walk(page, "/inventory/reservations", {k: v for k, v in query.items() if v})
    if walked.failed is not None:
        return failed_page(page, walked.failed, warehouse.refused)
    t = page.t

    def rows():
        for r in walked.items:
            head = [r.get("id"), r.get("reference"), r.get("warehouse"),
                    say(t, words.RESERVATION_STATUSES, r.get("status")), r.get("created_at"), r.get("expires_at"),
                    r.get("closed_at")]
            for line in r.get("lines") or [{}]:
                yield [*head, line.get("part_number"), line.get("name"), line.get("qty"), line.get("consumed_qty"),
                       line.get("list_price"), line.get("out_of_warranty_price")]

    return download(page, "reservations", N_("Reservations"), RESERVATION_COLUMNS, rows(), more=walked.more,
                    filters=[(N_("Repair reference"), query["reference"]),
                             (N_("Status"), say(t, words.RESERVATION_STATUSES, query["status"])),
                             (N_("Warehouse"), query["warehouse"])])


# ---- billing: bills and contracts ----

BILL_COLUMNS = (Col(N_("Bill number")), Col(N_("Status")), Col(N_("Serial number")), Col(N_("Repair reference")),
                Col(N_("Performed on"), "date"), Col(N_("Component")), Col(N_("Warranty decision")),
                Col(N_("Customer")), Col(N_("Net"), "money"), Col(N_("VAT"), "money"), Col(N_("Total"), "money"),
                Col(N_("Warranty cost"), "money"), Col(N_("Currency")), Col(N_("Issued at"), "datetime"),
                Col(N_("Paid at"), "datetime"), Col(N_("Payment method")), Col(N_("Voided at"), "datetime"),
                Col(N_("Fapiao number")), Col(N_("Replaces bill")))


@router.get("/app/billing.xlsx")
async def bills_workbook(page: BillingPage):
    query = {k: page.request.query_params.get(k, "").strip() for k in ("serial_number", "status",
                                                                      "repair_reference")}
    walked = await walk(page, "/billing/invoices", query)
    if walked.failed is not None:
        return failed_page(page, walked.failed)
    t = page.t

    def rows():
        for b in walked.items:
            yield [b.get("number"), say(t, words.INVOICE_STATUSES, b.get("status")), b.get("serial_number"),
                   b.get("repair_reference"), b.get("performed_on"), say(t, words.COMPONENTS, b.get("component")),
                   say(t, words.DECISIONS, (b.get("claim") or {}).get("decision")),
                   (b.get("customer") or {}).get("name"), b.get("net"), b.get("vat"), b.get("total"),
                   b.get("warranty_cost"), b.get("currency"), b.get("issued_at"), b.get("paid_at"),
                   say(t, words.PAYMENT_METHODS, (b.get("payment") or {}).get("method")), b.get("voided_at"),
                   (b.get("fapiao") or {}).get("number"), b.get("replaces")]

    return download(page, "bills", N_("Bills"), BILL_COLUMNS, rows(), more=walked.more,
                    filters=[(N_("Serial number"), query["serial_number"]),
                             (N_("Status"), say(t, words.INVOICE_STATUSES, query["status"])),
                             (N_("Repair reference"), query["repair_reference"])])


CONTRACT_COLUMNS = (Col(N_("No."), "int"), Col(N_("Customer")), Col(N_("Status")), Col(N_("Starts on"), "date"),
                    Col(N_("Ends on"), "date"), Col(N_("Units"), "int"), Col(N_("Serial numbers")),
                    Col(N_("Labour included")), Col(N_("Parts discount (%)"), "number"), Col(N_("Region")),
                    Col(N_("Created at"), "datetime"))


def contract_status(t: i18n.Translator, c: dict) -> str | None:
    if c.get("status") == "cancelled":
        return t.gettext(N_("Ended early"))
    if c.get("ended"):
        return t.gettext(N_("Ended"))
    return say(t, words.CONTRACT_STATUSES, c.get("status"))


@router.get("/app/billing/contracts.xlsx")
async def contracts_workbook(page: BillingPage):
    walked = await walk(page, "/billing/contracts")
    if walked.failed is not None:
        return failed_page(page, walked.failed)
    t = page.t
    rows = ([c.get("id"), c.get("customer"), contract_status(t, c), c.get("starts_on"), c.get("ends_on"),
             len(c.get("serial_numbers") or []), listed(t, c.get("serial_numbers") or []),
             yes_no(t, c.get("includes_labor")), c.get("parts_discount_pct"), say(t, words.REGIONS, c.get("region")),
             c.get("created_at")] for c in walked.items)
    return download(page, "contracts", N_("Maintenance contracts"), CONTRACT_COLUMNS, rows, more=walked.more)


# ---- the admin console: units ----

UNIT_COLUMNS = (Col(N_("Serial number")), Col(N_("Model")), Col(N_("Product name")), Col(N_("Site")),
                Col(N_("Site address")), Col(N_("Region")), Col(N_("Project code")),
                Col(N_("Commissioning accepted on"), "date"), Col(N_("Warranty certificate number")),
                Col(N_("Created at"), "datetime"))


@router.get("/app/admin/units.xlsx")
async def units_workbook(page: AdminPage):
    """The units the page finds: the API's search `q` and project, a whole serial number found wherever it is."""
    params = page.request.query_params
    q, project = params.get("q", "").strip(), params.get("project_code", "").strip()
    walked = await walk(page, "/warranty/units", {"project_code": project, "q": q})
    if walked.failed is not None:
        return failed_page(page, walked.failed)
    serial = station.clean_serial(q) if q else None
    if serial and all(u.get("serial_number") != serial for u in walked.items):
        exact = await pages.call(page, "GET", f"/warranty/units/{pages.seg(serial)}")
        if exact.ok and isinstance(exact.data, dict):
            walked.items.insert(0, exact.data)
    t = page.t

    def rows():
        for u in walked.items:
            site = u.get("site") or {}
            yield [u.get("serial_number"), u.get("model_code"), u.get("product_name"), site.get("name"),
                   site.get("address"), say(t, words.REGIONS, site.get("region")), u.get("project_code"),
                   u.get("accepted_on"), (u.get("certificate") or {}).get("number"), u.get("created_at")]

    return download(page, "units", N_("Units"), UNIT_COLUMNS, rows(), more=walked.more,
                    filters=[(N_("Serial number, model or product"), q), (N_("Project code"), project)])
