"""Tables of the billing service.

Money is NUMERIC(12,2). A bill keeps copies of everything it was priced
with (rates, claim decision, reservation lines) so that it never changes
when the rate card, a contract or the inventory changes later.
"""

from decimal import Decimal

from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.schema import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.types import JSON, Boolean, Integer, Numeric, String

from services.billing.domain import saga
from shared.audit import AuditEntryMixin
from shared.columns import Day, Instant, Name, Region, Serial
from shared.db import make_base, one_of
from shared.idempotency import IdempotencyRecordMixin

Base = make_base()

MONEY = Numeric(12, 2)
RATE = Numeric(5, 4)
HOURS = Numeric(10, 4)

# The repair saga's states (services/billing/domain/saga.py says what each means and
# how a bill goes from one to the next), then the invoice's own life: paid or void.
BILL_STATUSES = tuple(state.value for state in saga.State)
INVOICE_STATUSES = tuple(state.value for state in saga.INVOICE_STATES)
UNNUMBERED_STATUSES = tuple(s for s in BILL_STATUSES if s not in INVOICE_STATUSES)
# held: on this bill, not yet consumed; consumed: issued by inventory for this bill;
# lost: inventory refused to consume it (no longer active) after the bill had begun consuming.
LINK_STATES = ("held", "consumed", "lost")
CONTRACT_STATUSES = ("active", "cancelled")
# How a customer paid (POST /invoices/{number}/pay).
PAYMENT_METHODS = ("cash", "bank_transfer", "wechat_pay", "alipay")


class RateCard(Base):
    __tablename__ = "rate_card"
    __table_args__ = (
        CheckConstraint("labor_rate_per_hour >= 0", name="labor_rate_non_negative"),
        CheckConstraint("callout_fee >= 0", name="callout_fee_non_negative"),
        CheckConstraint("vat_rate >= 0 AND vat_rate < 1", name="vat_rate_range"),
    )

    # The id is the version number clients see.
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    labor_rate_per_hour: Mapped[Decimal] = mapped_column(MONEY)
    callout_fee: Mapped[Decimal] = mapped_column(MONEY)
    vat_rate: Mapped[Decimal] = mapped_column(RATE)
    currency: Mapped[str] = mapped_column(String(3))
    effective_from: Mapped[Instant] = mapped_column(index=True)
    created_at: Mapped[Instant]


class Company(Base):
    """The company named on every bill: dated versions, never edited; a bill keeps the version it was issued with."""

    __tablename__ = "company"

    # The id is the version number clients see.
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[Name]
    address: Mapped[str] = mapped_column(String(300))
    taxpayer_id: Mapped[str] = mapped_column(String(20))
    bank: Mapped[Name]
    account: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[Instant]


class Contract(Base):
    __tablename__ = "contract"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="period"),
        CheckConstraint("parts_discount_pct >= 0 AND parts_discount_pct <= 100", name="discount_range"),
        CheckConstraint(one_of("status", CONTRACT_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer: Mapped[Name]
    starts_on: Mapped[Day]
    ends_on: Mapped[Day]
    includes_labor: Mapped[bool] = mapped_column(Boolean)
    parts_discount_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    region: Mapped[Region]
    created_at: Mapped[Instant]
    # Ended early (POST /contracts/{id}/cancel): ends_on is then the new last day,
    # original_ends_on the one agreed at first.
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    cancelled_at: Mapped[Instant | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(1000))
    original_ends_on: Mapped[Day | None]


class ContractUnit(Base):
    __tablename__ = "contract_unit"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), primary_key=True)
    serial_number: Mapped[Serial] = mapped_column(primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class Bill(Base):
    __tablename__ = "bill"
    __table_args__ = (
        UniqueConstraint("idempotency_scope", "idempotency_key"),
        CheckConstraint(one_of("status", BILL_STATUSES), name="status"),
        CheckConstraint(f"(number IS NULL) = ({one_of('status', UNNUMBERED_STATUSES)})",
                        name="numbered_when_invoice"),
        Index("ix_bill_serial_number_number", "serial_number", "number"),
        Index("ix_bill_status_number", "status", "number"),
        Index("ix_bill_repair_reference", "repair_reference"),
        Index("ix_bill_issued_at", "issued_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_scope: Mapped[str] = mapped_column(String(300))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    failure_code: Mapped[str | None] = mapped_column(String(64))

    # The request, as sent (serial normalised).
    serial_number: Mapped[Serial]
    repair_reference: Mapped[str] = mapped_column(String(200))
    performed_on: Mapped[Day]
    component: Mapped[str] = mapped_column(String(64))
    causes: Mapped[list] = mapped_column(JSON)
    certificate: Mapped[dict | None] = mapped_column(JSON)
    reservation_ids: Mapped[list] = mapped_column(JSON)
    labor_hours: Mapped[Decimal] = mapped_column(HOURS)
    visits: Mapped[int] = mapped_column(Integer)

    # The rate card in force when the bill was begun, copied.
    rate_card_version: Mapped[int] = mapped_column(ForeignKey("rate_card.id"))
    labor_rate_per_hour: Mapped[Decimal] = mapped_column(MONEY)
    callout_fee: Mapped[Decimal] = mapped_column(MONEY)
    vat_rate: Mapped[Decimal] = mapped_column(RATE)
    currency: Mapped[str] = mapped_column(String(3))

    # Set once the claim is decided and the reservations have been read.
    planned_at: Mapped[Instant | None]
    claim_id: Mapped[int | None] = mapped_column(Integer)
    claim_decision: Mapped[str | None] = mapped_column(String(16))
    claim_reasons: Mapped[list | None] = mapped_column(JSON)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"))

    # Who the bill is made out to, copied when it is planned (the contract's customer, else the unit's
    # site), so that a later change at warranty or to the contract never alters an issued bill.
    customer_name: Mapped[Name | None]
    customer_address: Mapped[str | None] = mapped_column(String(300))

    # Set when issued.
    company_version: Mapped[int | None] = mapped_column(Integer)  # the company named on the bill
    issued_by: Mapped[dict | None] = mapped_column(JSON)  # caller.actor() of whoever issued it
    # A bill for a repair whose earlier bill was voided points back to it, and the void one forward.
    replaces: Mapped[str | None] = mapped_column(String(20))
    replaced_by: Mapped[str | None] = mapped_column(String(20))
    net: Mapped[Decimal | None] = mapped_column(MONEY)
    vat: Mapped[Decimal | None] = mapped_column(MONEY)
    total: Mapped[Decimal | None] = mapped_column(MONEY)
    warranty_cost: Mapped[Decimal | None] = mapped_column(MONEY)

    created_at: Mapped[Instant]
    updated_at: Mapped[Instant]
    issued_at: Mapped[Instant | None]
    paid_at: Mapped[Instant | None]
    # Not a column: True on the bill `bills.begin` wrote in this request (nothing of it was asked of another
    # service yet), False on one found again (a retry, the recovery pass), of which a consume may have been done.
    begun_now = False
    voided_at: Mapped[Instant | None]

    # The payment (none on a bill that charges nothing: it is settled when issued).
    payment_method: Mapped[str | None] = mapped_column(String(16))
    payment_reference: Mapped[str | None] = mapped_column(String(100))
    paid_by: Mapped[dict | None] = mapped_column(JSON)
    voided_by: Mapped[dict | None] = mapped_column(JSON)
    # The VAT invoice (发票) issued for the bill, recorded afterwards.
    fapiao_number: Mapped[str | None] = mapped_column(String(20))
    fapiao_issued_on: Mapped[Day | None]
    fapiao_recorded_at: Mapped[Instant | None]


class BillLine(Base):
    __tablename__ = "bill_line"
    __table_args__ = (CheckConstraint("kind IN ('part', 'labor', 'callout')", name="kind"),)

    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(300))
    qty: Mapped[Decimal] = mapped_column(HOURS)
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    amount: Mapped[Decimal] = mapped_column(MONEY)


class BillReservation(Base):
    """A reservation is on one open bill at a time: the primary key keeps it so."""

    __tablename__ = "bill_reservation"
    __table_args__ = (CheckConstraint(one_of("state", LINK_STATES), name="state"),)

    reservation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    # The reservation's lines as inventory gave them (read, then consumed): prices and quantities.
    lines: Mapped[list | None] = mapped_column(JSON)
    consumed_at: Mapped[Instant | None]
    # Consumed for a bill since voided, and taken over by the bill that replaces it (no second consume).
    from_bill_id: Mapped[int | None] = mapped_column(Integer)


class InvoiceCounter(Base):
    """The last invoice sequence of a year; taken in the transaction that issues the bill."""

    __tablename__ = "invoice_counter"
    __table_args__ = (CheckConstraint("last_sequence >= 0", name="last_sequence_non_negative"),)

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_sequence: Mapped[int] = mapped_column(Integer)


class IdempotencyRecord(IdempotencyRecordMixin, Base):
    __tablename__ = "idempotency_record"


class AuditEntry(AuditEntryMixin, Base):
    __tablename__ = "audit_entry"
