"""Billing's HTTP routes: each operation declared once above its use case (shared/operations.py).

The routes that call warranty or inventory around their transactions (registering a contract, its
visits, billing a repair) stay hand-written.
"""

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

from services.billing import clients, company, contracts, errors, examples, invoices, rates, repairs
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
from shared import dbfaults, deadline, hot, idempotency, openapi, pagination
from shared import errors as shared_errors
from shared.contracts import billing as wire
from shared.deps import CurrentCaller, CurrentClock, IdempotencyKey, Limit, PathId, Uow
from shared.operations import IdCursor, Operations, TextCursor

router = APIRouter()

SerialFilter = Annotated[str | None, Query(max_length=wire.SERIAL_MAX_LENGTH, description="Only this unit's")]
ContractId = PathId
RepairReferenceFilter = Annotated[str | None, Query(max_length=wire.TEXT_MAX_LENGTH,
                                                    description="Only the bill of this repair order")]
StatusFilter = Annotated[Literal["issued", "paid", "void"] | None, Query(description="Only in this state")]
# What paying, voiding or recording the fapiao of a bill can meet besides bad input.
INVOICE_ERRORS = [errors.InvoiceNotFound, errors.InvalidInvoiceState]


def _serial(value: str | None) -> str | None:
    return value.strip().upper() if value is not None else None


def _contract_read(session, contract, *, today: date) -> ContractRead:
    return ContractRead.of(contract, contracts.serials_of(session, [contract.id])[contract.id], today=today)


# Rates

rate_ops = Operations(router, tags=["rates"])


@rate_ops.get("/rates", "getRates", "The rate card in force", raises=[errors.RateCardNotFound],
              answer=examples.RATES)
def get_rates(session, clock: CurrentClock) -> RateCardRead:
    return RateCardRead.of(rates.in_force(session, at=clock.now()))


@rate_ops.put("/rates", "putRates", "Make a new rate card (bills already issued keep theirs)",
              body=examples.RATES_UPDATE, answer=examples.RATES)
def put_rates(session, rates_in: RateCardUpdate, clock: CurrentClock, caller: CurrentCaller) -> RateCardRead:
    return RateCardRead.of(rates.create(
        session, labor_rate_per_hour=rates_in.labor_rate_per_hour, callout_fee=rates_in.callout_fee,
        vat_rate=rates_in.vat_rate, currency=rates_in.currency, effective_from=rates_in.effective_from,
        now=clock.now(), caller=caller,
    ))


@rate_ops.get("/rates/versions", "listRateVersions", "Every version of the rate card")
def list_rate_versions(session, limit: Limit = 50, after: IdCursor = None) -> RateCardPage:
    rows, next_cursor = pagination.page(rates.list_versions(session, after=after, limit=limit), limit,
                                        key=lambda c: c.id)
    return RateCardPage(items=[RateCardRead.of(c) for c in rows], next_cursor=next_cursor)


# Contracts

contract_ops = Operations(router, tags=["contracts"])


@openapi.operation("createContract", "Register a maintenance contract",
                   errors={404: ("unit_not_found", "region_not_found")}, body=examples.CONTRACT_CREATE,
                   answer=examples.CONTRACT)
@router.post("/contracts", status_code=201, response_model=ContractRead, tags=["contracts"])
async def create_contract(contract_in: ContractCreate, request: Request, uow: Uow, clock: CurrentClock,
                          caller: CurrentCaller):
    # Hand-written: the serials are checked with warranty before the contract's transaction.
    return await contracts.register(uow, clients.upstreams(request.app).warranty, contract_in=contract_in,
                                    caller=caller, now=clock.now())


@contract_ops.get("/contracts", "listContracts", "Maintenance contracts (optionally of one unit)")
def list_contracts(
    session, clock: CurrentClock, serial_number: SerialFilter = None, limit: Limit = 50, after: IdCursor = None
) -> ContractPage:
    rows = contracts.list_contracts(session, serial_number=_serial(serial_number), after=after, limit=limit)
    rows, next_cursor = pagination.page(rows, limit, key=lambda c: c.id)
    serials = contracts.serials_of(session, [c.id for c in rows])
    today = business_day(clock.now())
    return ContractPage(items=[ContractRead.of(c, serials[c.id], today=today) for c in rows],
                        next_cursor=next_cursor)


@contract_ops.get("/contracts/{contract_id}", "getContract", "A maintenance contract",
                  raises=[errors.ContractNotFound], answer=examples.CONTRACT)
def get_contract(session, contract_id: ContractId, clock: CurrentClock) -> ContractRead:
    return _contract_read(session, contracts.get(session, contract_id), today=business_day(clock.now()))


@openapi.operation("getContractVisits", "The visits a contract plans", errors={404: "contract_not_found"},
                   answer=examples.VISITS)
@router.get("/contracts/{contract_id}/visits", response_model=list[VisitRead], tags=["contracts"])
async def get_contract_visits(contract_id: ContractId, request: Request, uow: Uow, clock: CurrentClock):
    # Hand-written: the region's season calendar is fetched from warranty after the transaction.
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
@hot.written  # served in front of FastAPI's routing (shared/hot.py): its answers are Responses
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


# Invoices

invoice_ops = Operations(router, tags=["invoices"])


@invoice_ops.get("/invoices", "listInvoices", "Bills (optionally of one unit, or in one state)")
def list_invoices(
    session, serial_number: SerialFilter = None, status: StatusFilter = None,
    limit: Limit = 50, after: TextCursor = None, repair_reference: RepairReferenceFilter = None,
) -> BillPage:
    rows = invoices.list_invoices(session, serial_number=_serial(serial_number), status=status,
                                  repair_reference=repair_reference, after=after, limit=limit)
    rows, next_cursor = pagination.page(rows, limit, key=lambda b: b.number)
    return BillPage(items=invoices.read_many(session, rows), next_cursor=next_cursor)


@invoice_ops.get("/invoices/{number}", "getInvoice", "A bill", raises=[errors.InvoiceNotFound],
                 answer=examples.BILL)
def get_invoice(session, number: str) -> BillRead:
    return invoices.read_by_number(session, number)


@invoice_ops.post("/invoices/{number}/pay", "payInvoice", "Settle a bill: how it was paid, and who took it",
                  raises=INVOICE_ERRORS, body=examples.PAYMENT, answer=examples.BILL_PAID,
                  description="Only an `issued` bill can be paid; a bill that charges nothing is `paid` when "
                              "it is issued.")
def pay_invoice(session, number: str, payment: PaymentIn, clock: CurrentClock, caller: CurrentCaller) -> BillRead:
    return invoices.read(session, invoices.pay(session, number, method=payment.method, reference=payment.reference,
                                               caller=caller, now=clock.now()))


@invoice_ops.post("/invoices/{number}/void", "voidInvoice", "Cancel a bill", raises=INVOICE_ERRORS,
                  answer={**examples.BILL, "status": "void", "voided_at": "2026-11-28T09:00:00Z"})
def void_invoice(session, number: str, clock: CurrentClock, caller: CurrentCaller) -> BillRead:
    return invoices.read(session, invoices.void(session, number, caller=caller, now=clock.now()))


@invoice_ops.put(
    "/invoices/{number}/fapiao", "recordFapiao", "Record the VAT invoice (发票) issued for a bill",
    raises=INVOICE_ERRORS, body=examples.FAPIAO, answer=examples.BILL_WITH_FAPIAO,
    description="`number`: 8 digits (a paper or older electronic VAT invoice) or 20 digits (a fully "
                "digitalised e-invoice); `issued_on` neither in the future nor before the bill. Recording it "
                "again corrects it. A void bill takes none (409).",
)
def record_fapiao(session, number: str, fapiao_in: FapiaoIn, clock: CurrentClock, caller: CurrentCaller) -> BillRead:
    return invoices.read(session, invoices.record_fapiao(session, number, fapiao_number=fapiao_in.number,
                                                         issued_on=fapiao_in.issued_on, caller=caller,
                                                         now=clock.now()))


# The company named on the bills

company_ops = Operations(router, tags=["company"])


@company_ops.get("/company", "getCompany", "The company named on every bill", raises=[errors.CompanyNotFound],
                 answer=examples.COMPANY)
def get_company(session) -> CompanyRead:
    return CompanyRead.of(company.current(session))


@company_ops.put("/company", "putCompany", "Set the company named on bills issued from now on (bills already "
                 "issued keep theirs)", body=examples.COMPANY_UPDATE, answer=examples.COMPANY)
def put_company(session, company_in: CompanyUpdate, clock: CurrentClock, caller: CurrentCaller) -> CompanyRead:
    return CompanyRead.of(company.update(session, company_in, caller=caller, now=clock.now()))


@contract_ops.post(
    "/contracts/{contract_id}/cancel", "cancelContract", "End a contract early",
    raises=[errors.ContractNotFound, errors.InvalidContractState], body=examples.CONTRACT_CANCEL,
    answer=examples.CONTRACT_CANCELLED,
    description="`ends_on` becomes the contract's last day and must lie within it; a cancelled contract is "
                "`invalid_contract_state` (409). Bills already issued keep their terms.",
)
def cancel_contract(session, contract_id: ContractId, cancel_in: ContractCancel, clock: CurrentClock,
                    caller: CurrentCaller) -> ContractRead:
    now = clock.now()
    contract = contracts.cancel(session, contract_id, ends_on=cancel_in.ends_on, reason=cancel_in.reason,
                                caller=caller, now=now)
    return _contract_read(session, contract, today=business_day(now))
