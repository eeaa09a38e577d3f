"""Every list page of the web app as an Excel workbook: the page's own address with `.xlsx` added
(`/app/desk` → `/app/desk.xlsx`, `/app/billing/contracts` → `/app/billing/contracts.xlsx`), with the
page's own query string. The stock ledger has no page: `/app/warehouse/movements.xlsx`, linked from a
part's stock.

Each workbook reads the API the page reads, with the page's filters, as the signed-in person through
Gateway.call (so the services' scope rules apply: a station's person gets its station's tickets only),
following the API's cursor to the end or to ROWS_CAP rows (then the sheet's notes say so). The headers
and every code (a state, a level, a kind) are in the reader's words (Chinese, or English after
`?lang=en`); times, dates, counts and money are typed cells (gateway/xlsx.py). Only the roles that may
open a page may download it: each route has its page's guard."""

from fastapi import APIRouter

from gateway.web import exports_desk, exports_office

router = APIRouter()
for _module in (exports_desk, exports_office):
    router.include_router(_module.router)
