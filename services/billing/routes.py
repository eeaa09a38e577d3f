"""Billing's HTTP routes: parse, call the use case, shape the answer."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from services.billing import clients, company, contracts, examples, invoices, rates, repairs
from services.billing.domain.days import business_day
from services.billing.schemas import (
    BillPage,
    BillRead,
    ContractCancel,
    ContractCreate,
    ContractPage,
    ContractRead,
    RateCardPage,
    RateCardRead,
    RateCardUpdate,
    RepairCreate,
    VisitRead,
)
from services.billing.settlement_schemas import CompanyRead, CompanyUpdate, FapiaoIn, PaymentIn
from shared import dbfaults, deadline, idempotency, openapi, pagination
from shared import errors as shared_errors
from shared.context import Caller
from shared.contracts import billing as wire
from shared.deps import CurrentCaller, CurrentClock, Cursor, IdempotencyKey, Limit, PathId, Uow

router = APIRouter()

SerialFilter = Annotated[str | None, Query(max_length=wire.SERIAL_MAX_LENGTH, description="Only this unit's")]
ContractId = PathId
RepairReferenceFilter = Annotated[str | None, Query(max_length=wire.TEXT_MAX_LENGTH,
                                                    description="Only the bill of this repair order")]
StatusFilter = Annotated[Literal["issued", "paid", "void"] | None, Query(description="Only in this state")]


def _after(cursor: str | None, kind: type):
    after = pagination.decode(cursor)
    if after is not None and (isinstance(after, bool) or not isinstance(after, kind)):
        raise pagination.BadCursor()
    return after


def _serial(value: str | None) -> str | None:
    return value.strip().upper() if value is not None else None


# The use cases as the routes run them, each in one transaction (`uow.read`/`uow.write`):
# the session first, the answer built before the session closes.

def _rates_in_force(session: Session, *, at: datetime) -> RateCardRead:
    return RateCardRead.of(rates.in_force(session, at=at))


def _create_rates(session: Session, rates_in: RateCardUpdate, *, caller: Caller, now: datetime) -> RateCardRead:
    return RateCardRead.of(rates.create(
        session, labor_rate_per_hour=rates_in.labor_rate_per_hour, callout_fee=rates_in.callout_fee,
        vat_rate=rates_in.vat_rate, currency=rates_in.currency, effective_from=rates_in.effective_from, now=now,
        caller=caller,
    ))


def _company(session: Session) -> CompanyRead:
    return CompanyRead.of(company.current(session))


def _update_company(session: Session, company_in: CompanyUpdate, *, caller: Caller, now: datetime) -> CompanyRead:
    return CompanyRead.of(company.update(session, company_in, caller=caller, now=now))


def _rate_versions(session: Session, *, after: int | None, limit: int) -> RateCardPage:
    rows, next_cursor = pagination.page(rates.list_versions(session, after=after, limit=limit), limit,
                                        key=lambda c: c.id)
    return RateCardPage(items=[RateCardRead.of(c) for c in rows], next_cursor=next_cursor)


def _contract_read(session: Session, contract, *, today: date) -> ContractRead:
    return ContractRead.of(contract, contracts.serials_of(session, [contract.id])[contract.id], today=today)


def _contract_page(session: Session, *, serial_number: str | None, after: int | None, limit: int,
                   today: date) -> ContractPage:
    rows = contracts.list_contracts(session, serial_number=serial_number, after=after, limit=limit)
    rows, next_cursor = pagination.page(rows, limit, key=lambda c: c.id)
    serials = contracts.serials_of(session, [c.id for c in rows])
    return ContractPage(items=[ContractRead.of(c, serials[c.id], today=today) for c in rows],
                        next_cursor=next_cursor)


def _get_contract(session: Session, contract_id: int, *, today: date) -> ContractRead:
    return _contract_read(session, contracts.get(session, contract_id), today=today)


def _cancel_contract(session: Session, contract_id: int, *, ends_on: date, reason: str, caller: Caller,
                     now: datetime) -> ContractRead:
    contract = contracts.cancel(session, contract_id, ends_on=ends_on, reason=reason, caller=caller, now=now)
    return _contract_read(session, contract, today=business_day(now))


def _invoice_page(session: Session, *, after: str | None, limit: int, **filters) -> BillPage:
    rows = invoices.list_invoices(session, after=after, limit=limit, **filters)
    rows, next_cursor = pagination.page(rows, limit, key=lambda b: b.number)
    return BillPage(items=invoices.read_many(session, rows), next_cursor=next_cursor)


def _pay_invoice(session: Session, number: str, payment: PaymentIn, *, caller: Caller, now: datetime) -> BillRead:
    return invoices.read(session, invoices.pay(session, number, method=payment.method, reference=payment.reference,
                                               caller=caller, now=now))


def _void_invoice(session: Session, number: str, *, caller: Caller, now: datetime) -> BillRead:
    return invoices.read(session, invoices.void(session, number, caller=caller, now=now))


def _record_fapiao(session: Session, number: str, fapiao_in: FapiaoIn, *, caller: Caller, now: datetime
                   ) -> BillRead:
    return invoices.read(session, invoices.record_fapiao(session, number, fapiao_number=fapiao_in.number,
                                                         issued_on=fapiao_in.issued_on, caller=caller, now=now))


@openapi.operation("getRates", "The rate card in force", errors={404: "rate_card_not_found"},
                   answer=examples.RATES)
@router.get("/rates", response_model=RateCardRead, tags=["rates"])
async def get_rates(uow: Uow, clock: CurrentClock):
    return await uow.read(_rates_in_force, at=clock.now())


@openapi.operation("putRates", "Make a new rate card (bills already issued keep theirs)", body=examples.RATES_UPDATE,
                   answer=examples.RATES)
@router.put("/rates", response_model=RateCardRead, tags=["rates"])
async def put_rates(rates_in: RateCardUpdate, uow: Uow, clock: CurrentClock, caller: CurrentCaller):
    return await uow.write(_create_rates, rates_in, caller=caller, now=clock.now())


@openapi.operation("listRateVersions", "Every version of the rate card")
@router.get("/rates/versions", response_model=RateCardPage, tags=["rates"])
async def list_rate_versions(uow: Uow, limit: Limit = 50, cursor: Cursor = None):
    return await uow.read(_rate_versions, after=_after(cursor, int), limit=limit)


@openapi.operation("createContract", "Register a maintenance contract",
                   errors={404: ("unit_not_found", "region_not_found")}, body=examples.CONTRACT_CREATE,
                   answer=examples.CONTRACT)
@router.post("/contracts", status_code=201, response_model=ContractRead, tags=["contracts"])
async def create_contract(contract_in: ContractCreate, request: Request, uow: Uow, clock: CurrentClock,
                          caller: CurrentCaller):
    return await contracts.register(uow, clients.upstreams(request.app).warranty, contract_in=contract_in,
                                    caller=caller, now=clock.now())


@openapi.operation("listContracts", "Maintenance contracts (optionally of one unit)")
@router.get("/contracts", response_model=ContractPage, tags=["contracts"])
async def list_contracts(
    uow: Uow, clock: CurrentClock, serial_number: SerialFilter = None, limit: Limit = 50, cursor: Cursor = None
):
    return await uow.read(_contract_page, serial_number=_serial(serial_number), after=_after(cursor, int),
                          limit=limit, today=business_day(clock.now()))


@openapi.operation("getContract", "A maintenance contract", errors={404: "contract_not_found"},
                   answer=examples.CONTRACT)
@router.get("/contracts/{contract_id}", response_model=ContractRead, tags=["contracts"])
async def get_contract(contract_id: ContractId, uow: Uow, clock: CurrentClock):
    return await uow.read(_get_contract, contract_id, today=business_day(clock.now()))


@openapi.operation("getContractVisits", "The visits a contract plans", errors={404: "contract_not_found"},
                   answer=examples.VISITS)
@router.get("/contracts/{contract_id}/visits", response_model=list[VisitRead], tags=["contracts"])
async def get_contract_visits(contract_id: ContractId, request: Request, uow: Uow, clock: CurrentClock):
    visits = await contracts.planned_visits(uow, clients.upstreams(request.app).warranty, contract_id=contract_id)
    return contracts.visit_states(visits, today=business_day(clock.now()))


@openapi.operation(
    "billRepair", "Bill a finished repair",
    errors={404: ("unit_not_found", "reservation_not_found"), 409: "reservation_not_active",
            503: ("upstream_unavailable", "database_busy")},
    body=examples.REPAIR_CREATE, answer=examples.BILL,
    description="Adjudicates the warranty claim, consumes the reservations and issues the bill, or does none "
                "of it: a 503/504 means no bill was issued (retry with the same `Idempotency-Key`; without "
                "one, the answer carries the key the server made up, in `idempotency_key` and the "
                "`Idempotency-Key` header). After a bill of the same `repair_reference` was voided, its "
                "consumed reservations are taken over (not consumed again) and the new bill `replaces` it.",
)
@router.post("/repairs", status_code=201, response_model=BillRead, tags=["repairs"])
async def create_repair(repair_in: RepairCreate, request: Request, uow: Uow, caller: CurrentCaller,
                        key: IdempotencyKey = None):
    # The saga is an explicit unit of work: short transactions of its own between remote calls.
    # Without a key the server makes one up before any effect, and tells it on every answer: a
    # failure after an effect can then be resumed by a retry with it.
    generated = key is None
    key = key or f"auto-{uuid.uuid4().hex}"
    told = {"Idempotency-Key": key}
    scope = f"{caller.key_id or caller.role}:{request.url.path}"
    fingerprint = idempotency.fingerprint("POST", request.url.path, repair_in.model_dump(mode="json"))
    # The caller's deadline, when shared/middleware.py has not bound it already.
    bound = (deadline.start(deadline.parse(request.headers.get(deadline.HEADER_NAME)))
             if deadline.remaining() is None else None)
    app = request.app
    saga = repairs.RepairSaga(uow, clients.upstreams(app), app.state.clock, caller)
    try:
        answer = await saga.bill_once(app.state.idempotency, scope=scope, key=key, fingerprint=fingerprint,
                                      repair_in=repair_in)
    except (shared_errors.UpstreamUnavailable, shared_errors.UpstreamTimeout) as exc:
        return shared_errors.problem(exc.status, exc.code, exc.detail, title=exc.title, headers=told,
                                     idempotency_key=key, **exc.extra)
    except deadline.DeadlineExceeded:
        return shared_errors.problem(504, "upstream_timeout", "The request's deadline passed before the bill "
                                     "was issued; retry with the same Idempotency-Key", headers=told,
                                     idempotency_key=key)
    except DBAPIError as exc:
        # A step that could not be recorded: what was done elsewhere is done once more by the retry
        # (the same keys replay it), or by the recovery pass (services/billing/recovery.py).
        fault = dbfaults.classify(exc)
        if fault is None:  # not a fault a retry may cure, yet steps may be done elsewhere: keep the key
            repairs.log.error("bill_step_not_recorded", key=key, exc_type=type(exc).__name__, exc_info=exc)
        else:  # the one line of a database fault, as shared/errors.py writes it
            shared_errors.log.warning("database_fault", kind=fault.kind, sqlstate=fault.sqlstate, error=fault.error,
                                      idempotency_key=key)
        why = fault.detail.removesuffix("; retry shortly") if fault else "The database failed"
        return shared_errors.problem(503, "database_busy", f"{why}: the bill could not be recorded; retry with the "
                                     "same Idempotency-Key", headers=told, idempotency_key=key)
    finally:
        if bound is not None:
            deadline.reset(bound)
    if not isinstance(answer, dict):
        return answer  # the stored answer of an earlier attempt, replayed
    return JSONResponse(answer, status_code=201, headers=told if generated else {})


@openapi.operation("listInvoices", "Bills (optionally of one unit, or in one state)")
@router.get("/invoices", response_model=BillPage, tags=["invoices"])
async def list_invoices(
    uow: Uow, serial_number: SerialFilter = None, status: StatusFilter = None,
    limit: Limit = 50, cursor: Cursor = None, repair_reference: RepairReferenceFilter = None,
):
    return await uow.read(_invoice_page, serial_number=_serial(serial_number), status=status,
                          repair_reference=repair_reference, after=_after(cursor, str), limit=limit)


@openapi.operation("getInvoice", "A bill", errors={404: "invoice_not_found"}, answer=examples.BILL)
@router.get("/invoices/{number}", response_model=BillRead, tags=["invoices"])
async def get_invoice(number: str, uow: Uow):
    return await uow.read(invoices.read_by_number, number)


@openapi.operation("payInvoice", "Settle a bill: how it was paid, and who took it",
                   errors={404: "invoice_not_found", 409: "invalid_invoice_state"}, body=examples.PAYMENT,
                   answer=examples.BILL_PAID,
                   description="Only an `issued` bill can be paid; a bill that charges nothing is `paid` when "
                               "it is issued.")
@router.post("/invoices/{number}/pay", response_model=BillRead, tags=["invoices"])
async def pay_invoice(number: str, payment: PaymentIn, uow: Uow, clock: CurrentClock, caller: CurrentCaller):
    return await uow.write(_pay_invoice, number, payment, caller=caller, now=clock.now())


@openapi.operation("voidInvoice", "Cancel a bill", errors={404: "invoice_not_found", 409: "invalid_invoice_state"},
                   answer={**examples.BILL, "status": "void", "voided_at": "2026-11-28T09:00:00Z"})
@router.post("/invoices/{number}/void", response_model=BillRead, tags=["invoices"])
async def void_invoice(number: str, uow: Uow, clock: CurrentClock, caller: CurrentCaller):
    return await uow.write(_void_invoice, number, caller=caller, now=clock.now())


@openapi.operation(
    "recordFapiao", "Record the VAT invoice (发票) issued for a bill",
    errors={404: "invoice_not_found", 409: "invalid_invoice_state"}, body=examples.FAPIAO,
    answer=examples.BILL_WITH_FAPIAO,
    description="`number`: 8 digits (a paper or older electronic VAT invoice) or 20 digits (a fully "
                "digitalised e-invoice); `issued_on` neither in the future nor before the bill. Recording it "
                "again corrects it. A void bill takes none (409).",
)
@router.put("/invoices/{number}/fapiao", response_model=BillRead, tags=["invoices"])
async def record_fapiao(number: str, fapiao_in: FapiaoIn, uow: Uow, clock: CurrentClock, caller: CurrentCaller):
    return await uow.write(_record_fapiao, number, fapiao_in, caller=caller, now=clock.now())


@openapi.operation("getCompany", "The company named on every bill", errors={404: "company_not_found"},
                   answer=examples.COMPANY)
@router.get("/company", response_model=CompanyRead, tags=["company"])
async def get_company(uow: Uow):
    return await uow.read(_company)


@openapi.operation("putCompany", "Set the company named on bills issued from now on (bills already issued "
                   "keep theirs)", body=examples.COMPANY_UPDATE, answer=examples.COMPANY)
@router.put("/company", response_model=CompanyRead, tags=["company"])
async def put_company(company_in: CompanyUpdate, uow: Uow, clock: CurrentClock, caller: CurrentCaller):
    return await uow.write(_update_company, company_in, caller=caller, now=clock.now())


@openapi.operation(
    "cancelContract", "End a contract early", errors={404: "contract_not_found", 409: "invalid_contract_state"},
    body=examples.CONTRACT_CANCEL, answer=examples.CONTRACT_CANCELLED,
    description="`ends_on` becomes the contract's last day and must lie within it; a cancelled contract is "
                "`invalid_contract_state` (409). Bills already issued keep their terms.",
)
@router.post("/contracts/{contract_id}/cancel", response_model=ContractRead, tags=["contracts"])
async def cancel_contract(contract_id: ContractId, cancel_in: ContractCancel, uow: Uow, clock: CurrentClock,
                          caller: CurrentCaller):
    return await uow.write(_cancel_contract, contract_id, ends_on=cancel_in.ends_on, reason=cancel_in.reason,
                           caller=caller, now=clock.now())
