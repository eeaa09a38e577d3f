"""GET /reports/billing: the month-end figures (the gateway serves them as /reports/billing, JSON or Excel)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from services.billing import examples, report
from services.billing.settlement_schemas import BillingReport
from shared.operations import Operations
from shared.types import IsoDate

router = APIRouter()
ops = Operations(router, tags=["reports"])


@ops.get(
    "/reports/billing", "billingReport", "Bills issued, paid and voided, net, VAT and total by month",
    answer=examples.BILLING_REPORT,
    description="Both dates included, in China Standard Time; every month of the period has a row (zeros when "
                "no bill was issued). A bill counts in the month it was issued; `paid` and `voided` say how many "
                "of that month's bills are paid or void now; net, VAT and total add up those that stand.",
)
def billing_report(
    session,
    start: Annotated[IsoDate, Query(alias="from", description="First day")],
    end: Annotated[IsoDate, Query(alias="to", description="Last day")],
    group_by: Annotated[Literal["month"], Query(description="Only by month")] = "month",
) -> BillingReport:
    return report.billing_by_month(session, start=start, end=end)
