"""GET /loaners: where the loaner units of a class are, nearest the site first (loaners.py)."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.inventory import examples, loaners
from services.inventory.domain import catalog as rules
from services.inventory.schemas import LoanerPage, LoanerRead
from shared import errors
from shared.contracts import inventory as contract
from shared.deps import CurrentClock, Limit
from shared.operations import Operations

router = APIRouter()


@Operations(router, tags=["loaners"]).get(
    "/loaners", "listLoaners", "Warehouses with loaner units of a class available, nearest the site first",
    raises=[errors.Unprocessable], answer=examples.LOANERS,
    description="Nearest: the warehouses of `region` (the unit's site) first, then the central warehouse, then "
                "every other; within each, the most available first, then by code. Only units available now "
                "(on hand less reserved) are listed, one row per warehouse and loaner part.",
)
def list_loaners(
    session, clock: CurrentClock,
    class_: Annotated[str | None, Query(alias="class", max_length=contract.LOANER_CLASS_MAX_LENGTH,
                                        description="e.g. split_wall_3.5kW")] = None,
    loaner_class: Annotated[str | None, Query(max_length=contract.LOANER_CLASS_MAX_LENGTH,
                                              description="the same as `class`")] = None,
    region: Annotated[str | None, Query(max_length=contract.REGION_MAX_LENGTH, pattern=contract.NO_NUL_PATTERN,
                                        description="the site's region, e.g. shandong")] = None,
    limit: Limit = 50,
) -> LoanerPage:
    wanted = (class_ or loaner_class or "").strip()
    problem = rules.loaner_class_problem(wanted) if wanted else "required"
    if problem:
        raise errors.Unprocessable(f"Not a loaner class: {problem}", errors=[{"field": "class", "message": problem}])
    region = (region or "").strip().lower() or None
    found = loaners.nearest(session, loaner_class=wanted, region=region, limit=limit, now=clock.now())
    return LoanerPage(loaner_class=wanted, region=region,
                      items=[LoanerRead.model_validate(item, from_attributes=True) for item in found])
