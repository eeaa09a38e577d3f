"""The warehouse's pages: a part's stock everywhere, reservations (reserve, issue all or less,
release, find by repair reference), goods in, transfers and the supply-guarantee report."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends

from gateway.web import i18n, pages
from gateway.web.notices import done_text
from gateway.web.pages import Page, seg
from shared.contracts import inventory as inventory_contract

REFERENCE_MAX = inventory_contract.REFERENCE_MAX_LENGTH  # a receipt's, a transfer's, a reservation's

router = APIRouter(prefix="/app/warehouse")
WarehousePage = Annotated[Page, Depends(pages.for_roles("warehouse"))]
LINE_ROWS = 4
FORBIDDEN_AT = i18n.N_("You may not change stock at warehouse %(warehouse)s.")
DONE = {
    "receipt": i18n.N_("The goods were received."),
    "transfer": i18n.N_("The stock was moved."),
    "consumed": i18n.N_("The parts were issued."),
    "released": i18n.N_("The reservation was released; its parts are available again."),
    "reserved": i18n.N_("The parts are reserved."),
}


def refused(page: Page, problem: dict | None) -> dict | None:
    """The service's refusal in words; a warehouse out of this person's scope is named."""
    trouble = pages.trouble(page, problem)
    if trouble and trouble["code"] == "warehouse_forbidden" and isinstance((problem or {}).get("warehouse"), str):
        trouble["title"] = page.t.gettext(FORBIDDEN_AT) % {"warehouse": problem["warehouse"]}
    return trouble


def positive_int(text: str) -> int | None:
    text = text.strip()
    if not text.isdigit():
        return None
    return int(text) if inventory_contract.QTY_MIN <= int(text) <= inventory_contract.QTY_MAX else None


async def warehouses(page: Page, *, writable: bool = False) -> list[dict]:
    """Every warehouse, or (`writable`) those the inventory service lets this person change stock at: a
    form offers only what the service would allow."""
    query = {"limit": inventory_contract.PAGE_SIZE_MAX, **({"writable": "true"} if writable else {})}
    return pages.items(await pages.call(page, "GET", "/inventory/warehouses", query=query))


async def parts(page: Page) -> list[dict]:
    """The catalogue, offered as suggestions where a part number is typed."""
    answer = await pages.call(page, "GET", "/inventory/parts", query={"limit": inventory_contract.PAGE_SIZE_MAX})
    return [p for p in pages.items(answer) if p.get("status", "active") == "active"]


@router.get("")
@router.get("/")
async def stock(page: WarehousePage):
    part_number = page.request.query_params.get("part_number", "").strip().upper()
    part = rows = trouble = None
    if part_number:
        found = await pages.call(page, "GET", f"/inventory/parts/{seg(part_number)}")
        if found.ok:
            part = found.data
            answer = await pages.call(page, "GET", "/inventory/stock",
                                      query={"part_number": part_number, "limit": inventory_contract.PAGE_SIZE_MAX})
            rows = pages.items(answer)
            trouble = refused(page, answer.problem)
        else:
            trouble = pages.trouble(page, found.problem)
    names = {w["code"]: w for w in await warehouses(page)}
    totals = {k: sum(r[k] for r in rows or []) for k in ("on_hand", "reserved", "available")}
    return pages.render(page, "warehouse/stock.html", status=200 if trouble is None else 404,
                        part_number=part_number, part=part, rows=rows, totals=totals, names=names,
                        parts=await parts(page),
                        trouble=trouble, done=done_text(page, DONE))


def reservation_lines(page: Page) -> tuple[list[dict], bool]:
    lines, bad = [], False
    for number, qty in zip(page.form.get("part_number", []), page.form.get("qty", []), strict=False):
        number, qty = number.strip().upper(), qty.strip()
        if not number and not qty:
            continue
        amount = positive_int(qty)
        if not number or amount is None:
            bad = True
            continue
        lines.append({"part_number": number, "qty": amount})
    return lines, bad


def typed_lines(page: Page, trouble: dict | None) -> list[dict]:
    """The part lines as typed (a refused form comes back with every line), each with its shortage."""
    short = {s.get("part_number"): s for s in (trouble or {}).get("shortages", []) if isinstance(s, dict)}
    typed = [{"part_number": number.strip().upper(), "qty": qty.strip()}
             for number, qty in zip(page.form.get("part_number", []), page.form.get("qty", []), strict=False)
             if number.strip() or qty.strip()]
    if not typed and page.request.query_params.get("part_number"):
        typed = [{"part_number": page.request.query_params["part_number"].strip().upper(), "qty": ""}]
    for line in typed:
        line["short"] = short.get(line["part_number"])
        line["bad"] = trouble is not None and trouble["code"] == "bad_input" and (
            not line["part_number"] or positive_int(line["qty"]) is None)
    blank = {"part_number": "", "qty": "", "short": None, "bad": False}
    return typed + [dict(blank) for _ in range(max(LINE_ROWS - len(typed), 1))]


async def reserve_form(page: Page, *, status: int = 200, trouble=None):
    prefill = page.request.query_params
    return pages.render(page, "warehouse/reserve.html", status=status, trouble=trouble,
                        warehouses=await warehouses(page, writable=True), lines=typed_lines(page, trouble),
                        parts=await parts(page),
                        chosen=page.value("warehouse") or prefill.get("warehouse", ""))


@router.get("/reserve")
async def new_reservation(page: WarehousePage):
    return await reserve_form(page)


@router.post("/reserve")
async def reserve(page: WarehousePage):
    lines, bad = reservation_lines(page)
    warehouse, reference = page.value("warehouse"), page.value("reference")
    if bad or not lines or not warehouse or not reference:
        trouble = pages.trouble(page, None, code="bad_input")
        return await reserve_form(page, status=422, trouble=trouble)
    answer = await pages.call(page, "POST", "/inventory/reservations",
                              json_body={"warehouse": warehouse, "reference": reference[:REFERENCE_MAX],
                                         "lines": lines},
                              idempotency_key=page.value("idempotency_key") or None)
    if not answer.ok:
        return await reserve_form(page, status=answer.status, trouble=refused(page, answer.problem))
    return pages.redirect(page, f"/app/warehouse/reservations/{seg(answer.data['id'])}?done=reserved")


@router.get("/reservations")
async def reservations(page: WarehousePage):
    fields = ("reference", "status", "warehouse")
    query = {k: page.request.query_params.get(k, "").strip() for k in fields}
    answer = None
    # A filter sent with nothing chosen lists the newest reservations (those in this person's scope).
    if any(k in page.request.query_params for k in fields):
        answer = await pages.call(page, "GET", "/inventory/reservations",
                                  query={**{k: v for k, v in query.items() if v}, "limit": 200})
    status = answer.status if answer is not None and not answer.ok else 200
    return pages.render(page, "warehouse/reservations.html", status=status, query=query,
                        rows=pages.items(answer) if answer and answer.ok else None,
                        trouble=refused(page, answer.problem) if answer else None,
                        warehouses=await warehouses(page, writable=True))


async def show_reservation(page: Page, reservation_id: int, *, status: int = 200, trouble=None):
    answer = await pages.call(page, "GET", f"/inventory/reservations/{seg(reservation_id)}")
    if not answer.ok:
        return pages.render(page, "error.html", status=answer.status, trouble=refused(page, answer.problem))
    return pages.render(page, "warehouse/reservation.html", status=status, reservation=answer.data,
                        trouble=trouble, done=done_text(page, DONE))


@router.get("/reservations/{reservation_id}")
async def reservation(page: WarehousePage, reservation_id: int):
    return await show_reservation(page, reservation_id)


@router.post("/reservations/{reservation_id}/consume")
async def consume(page: WarehousePage, reservation_id: int):
    body: dict = {}
    if page.value("how") == "some":
        lines = []
        for number, qty in zip(page.form.get("part_number", []), page.form.get("used", []), strict=False):
            qty = qty.strip()
            if not qty.isdigit():
                return await show_reservation(page, reservation_id, status=422,
                                              trouble=pages.trouble(page, None, code="bad_input"))
            lines.append({"part_number": number.strip(), "qty": int(qty)})
        body = {"lines": lines}
    answer = await pages.call(page, "POST", f"/inventory/reservations/{seg(reservation_id)}/consume",
                              json_body=body, idempotency_key=page.value("idempotency_key") or None)
    if not answer.ok:
        return await show_reservation(page, reservation_id, status=answer.status,
                                      trouble=refused(page, answer.problem))
    return pages.redirect(page, f"/app/warehouse/reservations/{seg(reservation_id)}?done=consumed")


@router.post("/reservations/{reservation_id}/release")
async def release(page: WarehousePage, reservation_id: int):
    answer = await pages.call(page, "POST", f"/inventory/reservations/{seg(reservation_id)}/release")
    if not answer.ok:
        return await show_reservation(page, reservation_id, status=answer.status,
                                      trouble=refused(page, answer.problem))
    return pages.redirect(page, f"/app/warehouse/reservations/{seg(reservation_id)}?done=released")


async def movement_form(page: Page, template: str, *, status: int = 200, trouble=None, moved=None):
    # Goods come in, and stock leaves, only where this person may write; a transfer may go anywhere.
    return pages.render(page, template, status=status, trouble=trouble, moved=moved,
                        warehouses=await warehouses(page, writable=True), destinations=await warehouses(page),
                        parts=await parts(page), done=done_text(page, DONE))


def receipt_body(page: Page) -> tuple[dict, bool]:
    qty = positive_int(page.value("qty"))
    body = {"warehouse": page.value("warehouse"), "part_number": page.value("part_number").upper(),
            "qty": qty, "reference": page.value("reference")[:REFERENCE_MAX]}
    return body, qty is not None and all(body.values())


def transfer_body(page: Page) -> tuple[dict, bool]:
    qty = positive_int(page.value("qty"))
    body = {"from_warehouse": page.value("from_warehouse"), "to_warehouse": page.value("to_warehouse"),
            "part_number": page.value("part_number").upper(), "qty": qty,
            "reference": page.value("reference")[:REFERENCE_MAX]}
    return body, qty is not None and all(body.values()) and body["from_warehouse"] != body["to_warehouse"]


# The movements typed in a form, by kind: what the form sends, and whether the page may send it.
MOVEMENTS = {"receipt": receipt_body, "transfer": transfer_body}


def movement_routes(kind: str, body_of) -> None:
    """A movement's form at /app/warehouse/<kind>s (template warehouse/<kind>.html) and its sending there."""

    async def new(page: WarehousePage):
        return await movement_form(page, f"warehouse/{kind}.html")

    async def send(page: WarehousePage):
        body, valid = body_of(page)
        return await post_movement(page, kind, body, valid=valid)

    router.get(f"/{kind}s")(new)
    router.post(f"/{kind}s")(send)


for _kind, _body_of in MOVEMENTS.items():
    movement_routes(_kind, _body_of)


async def post_movement(page: WarehousePage, kind: str, body: dict, *, valid: bool):
    """A receipt or a transfer: refused in words, or sent once (its form's key) and shown in the stock."""
    template = f"warehouse/{kind}.html"
    if not valid:
        return await movement_form(page, template, status=422, trouble=pages.trouble(page, None, code="bad_input"))
    answer = await pages.call(page, "POST", f"/inventory/{kind}s", json_body=body,
                              idempotency_key=page.value("idempotency_key") or None)
    if not answer.ok:
        return await movement_form(page, template, status=answer.status, trouble=refused(page, answer.problem))
    return pages.redirect(page, f"/app/warehouse?part_number={seg(body['part_number'])}&done={kind}")


@router.get("/guarantee")
async def guarantee(page: WarehousePage):
    on = page.request.query_params.get("on", "")
    try:
        on = date.fromisoformat(on).isoformat()
    except ValueError:
        on = ""
    answer = await pages.call(page, "GET", "/inventory/supply-guarantee", query={"on": on})
    return pages.render(page, "warehouse/guarantee.html", status=200 if answer.ok else answer.status,
                        report=answer.data if answer.ok else None, trouble=refused(page, answer.problem),
                        on=on)
