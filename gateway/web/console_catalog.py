"""Parts, models with their bills of parts, and warehouses in the admin console. A code is carried in
the query (`?part_number=`), not the path: a part number may hold a `/`."""

from decimal import Decimal, InvalidOperation
from functools import partial

from fastapi import APIRouter

from gateway.web import console_common as common
from gateway.web import console_words, pages, words
from gateway.web.console_address import param, put_exact_first, to
from gateway.web.console_common import AdminPage, Field, Form
from gateway.web.i18n import N_
from gateway.web.pages import Page, seg
from shared.contracts import inventory as inventory_contract

router = APIRouter()
BLANK_LINES = 3
ADMIN = "/app/admin"  # where the console's router is mounted
PART_FORM = Form(
    fields={"part_number": Field(N_("Part number"), "code"), "name": Field(N_("Name"), "text"),
            "uom": Field(N_("Unit of measure"), "text"), "list_price": Field(N_("List price"), "money"),
            "out_of_warranty_price": Field(N_("Out-of-warranty price"), "money"),
            "min_stock": Field(N_("Minimum stock"), "count"), "status": Field(N_("Status"), "pick")},
    codes={"part_exists": "part_number", "part_under_supply_guarantee": "status"},
)
PART_REQUIRED = ("name", "uom", "list_price", "out_of_warranty_price")  # besides the part number, when created
MODEL_FORM = Form(
    fields={"model_code": Field(N_("Model code"), "code"), "name": Field(N_("Name"), "text"),
            "discontinued_on": Field(N_("Discontinued on"), "date")},
    codes={"model_exists": "model_code"},
)
WAREHOUSE_FORM = Form(
    fields={"code": Field(N_("Warehouse code"), "code"), "name": Field(N_("Name"), "text"),
            "kind": Field(N_("Kind"), "pick"), "region": Field(N_("Region"), "pick")},
    codes={"warehouse_exists": "code"},
)


def edit_routes(path: str, key: str, api: str, form: Form, shown, *, required: tuple[str, ...], body, checks=None):
    """A catalog record's edit page at `path`, the record named by its code in the query (upper-cased, as
    codes are kept), and its save there: the `required` fields filled and the page's own `checks` passed,
    a PATCH of `body(values)` to the record under `api`, then back to the edit page."""

    async def edit(page: AdminPage):
        return await shown(page, param(page, key).upper())

    async def save(page: AdminPage):
        values = common.posted(page)
        code = values.get(key, "").upper()
        marks = {**common.unfilled(page, form, values, *required), **(checks(page, values) if checks else {})}
        return await common.submit(page, form, marks, partial(shown, page, code), "PATCH", f"{api}/{seg(code)}",
                                   body(values), lambda _saved: to(ADMIN + path, **{key: code}, done="saved"))

    router.get(path)(edit)
    router.post(path)(save)


# ---- parts ---------------------------------------------------------------------------------------

@router.get("/parts")
async def parts(page: AdminPage):
    q, status = param(page, "q"), param(page, "status")
    status = status if status in console_words.PART_STATUSES else ""
    rows = await common.listing(page, "/inventory/parts", query={"status": status, "q": q})
    if q:
        await put_exact_first(page, rows, f"/inventory/parts/{seg(q.upper())}", "part_number")
    return common.show(page, "console/parts.html", status=rows.status, listing=rows, q=q, chosen_status=status,
                       trouble=rows.trouble)


def _price_marks(page: Page, values: dict) -> dict[str, str]:
    try:
        if Decimal(values.get("out_of_warranty_price", "")) > Decimal(values.get("list_price", "")):
            return {"out_of_warranty_price": page.t.gettext(console_words.RULES["prices"])}
    except InvalidOperation:
        pass
    return {}


def part_body(values: dict, *, creating: bool) -> dict:
    body = {"name": values.get("name", ""), "uom": values.get("uom", ""),
            "list_price": values.get("list_price", ""),
            "out_of_warranty_price": values.get("out_of_warranty_price", ""),
            "min_stock": common.number(values.get("min_stock", "") or "0")}
    if creating:
        body["part_number"] = values.get("part_number", "").upper()
    return body


async def part_form(page: Page, *, status: int = 200, values=None, trouble=None, at=None):
    return common.show(page, "console/part_new.html", status=status, values=values or {"min_stock": "0"},
                       trouble=trouble, at=at or {})


@router.get("/parts/new")
async def new_part(page: AdminPage):
    return await part_form(page)


@router.post("/parts/new")
async def create_part(page: AdminPage):
    values = common.posted(page)
    marks = {**common.unfilled(page, PART_FORM, values, "part_number", *PART_REQUIRED), **_price_marks(page, values)}
    return await common.submit(
        page, PART_FORM, marks, partial(part_form, page), "POST", "/inventory/parts", part_body(values, creating=True),
        lambda made: to(ADMIN + "/parts/edit", part_number=made["part_number"], done="created"))


async def part_page(page: Page, part_number: str, *, status: int = 200, values=None, trouble=None, at=None):
    answer = await pages.call(page, "GET", f"/inventory/parts/{seg(part_number)}")
    if not answer.ok:
        return common.show(page, "error.html", status=answer.status,
                           trouble=common.trouble_of(page, answer.problem, answer.problem.get("code")))
    part = answer.data
    return common.show(page, "console/part.html", status=status, part=part, trouble=trouble, at=at or {},
                       values=values or {k: str(part.get(k, "")) for k in PART_FORM.fields})


edit_routes("/parts/edit", "part_number", "/inventory/parts", PART_FORM, part_page, required=PART_REQUIRED,
            body=partial(part_body, creating=False), checks=_price_marks)


@router.post("/parts/status")
async def part_status(page: AdminPage):
    part_number, status = page.value("part_number").upper(), page.value("status")
    if status not in console_words.PART_STATUSES:
        return await part_page(page, part_number, status=422, trouble=common.trouble_of(page, None, "bad_input"))
    answer = await pages.call(page, "PATCH", f"/inventory/parts/{seg(part_number)}", json_body={"status": status})
    if not answer.ok:
        trouble, at = common.refused(page, answer.problem, PART_FORM)
        if answer.problem.get("models"):
            trouble["models"] = [str(m) for m in answer.problem["models"]]
        return await part_page(page, part_number, status=answer.status, trouble=trouble, at=at)
    done = "retired" if status == "retired" else "reactivated"
    return pages.redirect(page, to(ADMIN + "/parts/edit", part_number=part_number, done=done))


# ---- models and their bills of parts -------------------------------------------------------------

@router.get("/models")
async def models(page: AdminPage):
    return await models_page(page)


async def models_page(page: Page, *, status: int = 200, values=None, trouble=None, at=None):
    q = param(page, "q")
    rows = await common.listing(page, "/inventory/models", query={"q": q})
    if q:
        await put_exact_first(page, rows, f"/inventory/models/{seg(q.upper())}", "model_code")
    return common.show(page, "console/models.html", status=status if status != 200 else rows.status, listing=rows, q=q,
                       values=values or {}, trouble=trouble or rows.trouble, at=at or {})


@router.post("/models")
async def create_model(page: AdminPage):
    values = common.posted(page)
    body = common.optional({"model_code": values.get("model_code", "").upper(), "name": values.get("name", "")},
                           "discontinued_on", values.get("discontinued_on", ""))
    return await common.submit(
        page, MODEL_FORM, common.unfilled(page, MODEL_FORM, values, "model_code", "name"), partial(models_page, page),
        "POST", "/inventory/models", body,
        lambda made: to(ADMIN + "/models/edit", model_code=made["model_code"], done="created"))


async def model_page(page: Page, model_code: str, *, status: int = 200, values=None, lines=None, trouble=None,
                     at=None, bill_trouble=None):
    answer = await pages.call(page, "GET", f"/inventory/models/{seg(model_code)}")
    if not answer.ok:
        return common.show(page, "error.html", status=answer.status,
                           trouble=common.trouble_of(page, answer.problem, answer.problem.get("code")))
    model = answer.data
    catalogue = await common.every(page, "/inventory/parts", {"status": "active"})
    names = {p["part_number"]: p["name"] for p in catalogue}
    if lines is None:
        lines = [(line["part_number"], str(line["qty_per_unit"])) for line in model.get("parts", [])]
    lines = list(lines) + [("", "")] * BLANK_LINES
    return common.show(page, "console/model.html", status=status, model=model, lines=lines, names=names,
                       part_options=[(p["part_number"], f'{p["part_number"]} · {p["name"]}') for p in catalogue],
                       values=values or {"name": model["name"], "discontinued_on": model.get("discontinued_on") or ""},
                       trouble=trouble, bill_trouble=bill_trouble, at=at or {})


def model_changes(values: dict) -> dict:
    return {"name": values.get("name", ""), "discontinued_on": values.get("discontinued_on") or None}


edit_routes("/models/edit", "model_code", "/inventory/models", MODEL_FORM, model_page, required=("name",),
            body=model_changes)


@router.post("/models/bill")
async def save_bill(page: AdminPage):
    model_code = page.value("model_code").upper()
    typed = list(zip(page.form.get("part_number", []), page.form.get("qty", []), strict=False))
    typed = [(p.strip().upper(), q.strip()) for p, q in typed]
    marks, sent, seen = {}, [], {}
    for index, (part, qty) in enumerate(typed):
        if not part and not qty:
            continue
        if not part:
            marks[f"line_{index}_part"] = page.t.gettext(console_words.RULES["pick"])
        elif part in seen:
            marks[f"line_{index}_part"] = page.t.gettext("This part is already on line %(line)s.",
                                                         line=seen[part] + 1)
        if not (qty.isdigit() and inventory_contract.QTY_MIN <= int(qty) <= inventory_contract.QTY_MAX):
            marks[f"line_{index}_qty"] = page.t.gettext(console_words.RULES["positive"])
        seen.setdefault(part, index)
        sent.append((index, part, qty))
    form = Form(fields={f"line_{i}_{k}": Field(label) for i in range(len(typed))
                        for k, label in (("part", N_("Part")), ("qty", N_("Quantity per unit")))},
                wire={f"{n}.{w}": f"line_{i}_{k}" for n, (i, _p, _q) in enumerate(sent)
                      for w, k in (("part_number", "part"), ("qty_per_unit", "qty"))})

    async def again(*, status: int, values: dict, trouble: dict, at: dict):  # the lines as typed, the bill's notice
        return await model_page(page, model_code, status=status, lines=typed, bill_trouble=trouble, at=at)

    body = [] if marks else [{"part_number": part, "qty_per_unit": int(qty)} for _index, part, qty in sent]
    return await common.submit(page, form, marks, again, "PUT", f"/inventory/models/{seg(model_code)}/parts", body,
                               lambda _saved: to(ADMIN + "/models/edit", model_code=model_code, done="bill"))


# ---- warehouses ----------------------------------------------------------------------------------

async def warehouses_page(page: Page, *, status: int = 200, values=None, trouble=None, at=None):
    q, kind = param(page, "q"), param(page, "kind")
    kind = kind if kind in words.WAREHOUSE_KINDS else ""
    rows = await common.listing(page, "/inventory/warehouses", query={"kind": kind, "q": q})
    if q:
        await put_exact_first(page, rows, f"/inventory/warehouses/{seg(q.upper())}", "code")
    return common.show(page, "console/warehouses.html", status=status if status != 200 else rows.status, listing=rows,
                       q=q, chosen_kind=kind, regions=await common.region_options(page),
                       values=values or {"region": "shandong"},
                       kinds=[(k, page.t.gettext(v)) for k, v in words.WAREHOUSE_KINDS.items()],
                       trouble=trouble or rows.trouble, at=at or {})


@router.get("/warehouses")
async def warehouses(page: AdminPage):
    return await warehouses_page(page)


@router.post("/warehouses")
async def create_warehouse(page: AdminPage):
    values = common.posted(page)
    body = {"code": values.get("code", "").upper(), **{n: values.get(n, "") for n in ("name", "kind", "region")}}
    return await common.submit(
        page, WAREHOUSE_FORM, common.unfilled(page, WAREHOUSE_FORM, values, "code", "name", "kind", "region"),
        partial(warehouses_page, page), "POST", "/inventory/warehouses", body,
        lambda made: to(ADMIN + "/warehouses", q=made["code"], done="created"))
