"""GET /invoices/{number}.pdf: the bill to print.

Its router is included before the others: `/invoices/{number}` would otherwise
take `INV-2026-000001.pdf` for a number.
"""

from typing import TYPE_CHECKING
from urllib.parse import quote

import httpx
import structlog
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from services.billing import invoices
from shared import errors, openapi
from shared.deps import Uow

if TYPE_CHECKING:
    from services.billing import bill_pdf

router = APIRouter()
log = structlog.get_logger("billing")
UNIT_LOOKUP_SECONDS = 2.0


async def unit_info(request: Request, serial_number: str) -> "bill_pdf.UnitInfo":
    """The unit as warranty describes it; a bill still prints (with its serial) when warranty cannot say."""
    from services.billing import bill_pdf  # reportlab (4 MB resident) loaded with a process's first print

    try:
        response = await request.app.state.clients["warranty"].request(
            "GET", f"/units/{quote(serial_number, safe='')}", timeout=UNIT_LOOKUP_SECONDS
        )
        body = response.json() if response.status_code == 200 else None
    except (errors.ServiceError, httpx.HTTPError, ValueError) as exc:
        log.warning("unit_lookup_failed", serial_number=serial_number, error=str(exc))
        body = None
    if not isinstance(body, dict):
        return bill_pdf.UnitInfo(serial_number=serial_number)
    site = body.get("site") if isinstance(body.get("site"), dict) else {}
    place = " ".join(str(x) for x in (site.get("name"), site.get("address")) if x)
    return bill_pdf.UnitInfo(serial_number=serial_number, model_code=body.get("model_code"),
                             product_name=body.get("product_name"), site=place or None,
                             site_name=site.get("name"), site_address=site.get("address"))


@openapi.operation("getInvoicePdf", "A bill to print, as an A4 PDF", errors={404: "invoice_not_found"},
                   description="The bill's Chinese layout: the company, the customer, the unit as warranty "
                               "describes it, every line, and lines for the technician's and the customer's "
                               "signatures and the company seal; fonts embedded. When warranty does not answer "
                               "in time the bill still prints, with its serial number only.")
@router.get(
    "/invoices/{number}.pdf", tags=["invoices"], response_class=Response,
    responses={200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                     "description": "The bill as an A4 PDF"}},
)
async def get_invoice_pdf(number: str, request: Request, uow: Uow) -> Response:
    bill = await uow.read(invoices.read_by_number, number)
    unit = await unit_info(request, bill.serial_number)
    from services.billing import bill_pdf

    pdf = await run_in_threadpool(bill_pdf.render, bill, unit)  # CPU: off the event loop
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{bill.number}.pdf"'})
