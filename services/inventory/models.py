from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.audit import AuditEntryMixin
from shared.columns import Day, Instant, Name, Timestamps
from shared.contracts import inventory as contract
from shared.db import make_base, one_of
from shared.idempotency import IdempotencyRecordMixin

Base = make_base()

PART_STATUSES = contract.PART_STATUSES
WAREHOUSE_KINDS = contract.WAREHOUSE_KINDS
MOVEMENT_KINDS = contract.MOVEMENT_KINDS
RESERVATION_STATUSES = contract.RESERVATION_STATUSES
Price = Numeric(12, 2)


class Part(Timestamps, Base):
    __tablename__ = "part"
    __table_args__ = (
        CheckConstraint("list_price >= 0", name="list_price_not_negative"),
        CheckConstraint(
            "out_of_warranty_price >= 0 AND out_of_warranty_price <= list_price", name="oow_price_within_list"
        ),
        CheckConstraint("min_stock >= 0", name="min_stock_not_negative"),
        CheckConstraint(one_of("status", PART_STATUSES), name="status"),
    )

    part_number: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[Name]
    uom: Mapped[str] = mapped_column(String(16))
    list_price: Mapped[Decimal] = mapped_column(Price)
    out_of_warranty_price: Mapped[Decimal] = mapped_column(Price)
    min_stock: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default="active")
    # Set: the part is a loaner unit of this class (domain.md section 8).
    loaner_class: Mapped[str | None] = mapped_column(String(60), index=True)


class ProductModel(Timestamps, Base):
    __tablename__ = "model"

    model_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[Name]
    discontinued_on: Mapped[Day | None]
    # The class a loaner for a unit of this model must be of.
    loaner_class: Mapped[str | None] = mapped_column(String(60))


class BomLine(Base):
    """One line of a model's bill of parts."""

    __tablename__ = "bom_line"
    __table_args__ = (CheckConstraint("qty_per_unit > 0", name="qty_per_unit_positive"),)

    model_code: Mapped[str] = mapped_column(ForeignKey("model.model_code"), primary_key=True)
    part_number: Mapped[str] = mapped_column(ForeignKey("part.part_number"), primary_key=True, index=True)
    qty_per_unit: Mapped[int] = mapped_column(Integer)


class Warehouse(Base):
    __tablename__ = "warehouse"
    __table_args__ = (CheckConstraint(one_of("kind", WAREHOUSE_KINDS), name="kind"),)

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[Name]
    kind: Mapped[str] = mapped_column(String(20))
    region: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[Instant]


class Stock(Base):
    """On hand and reserved per warehouse and part; always the ledger's sums."""

    __tablename__ = "stock"
    __table_args__ = (
        CheckConstraint("on_hand >= reserved AND reserved >= 0", name="reserved_within_on_hand"),
    )

    warehouse: Mapped[str] = mapped_column(ForeignKey("warehouse.code"), primary_key=True)
    part_number: Mapped[str] = mapped_column(ForeignKey("part.part_number"), primary_key=True, index=True)
    on_hand: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)


class Movement(Base):
    """The append-only ledger: every change of on-hand stock, signed (+ in, - out)."""

    __tablename__ = "movement"
    __table_args__ = (
        CheckConstraint(one_of("kind", MOVEMENT_KINDS), name="kind"),
        CheckConstraint("qty <> 0", name="qty_not_zero"),
        Index("ix_movement_part_number_id", "part_number", "id"),
        Index("ix_movement_warehouse_id", "warehouse", "id"),
        # The parts figures read the issues of a period from this index alone.
        Index("ix_movement_kind_created_at", "kind", "created_at", "part_number", "warehouse", "qty", "list_price"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    warehouse: Mapped[str] = mapped_column(ForeignKey("warehouse.code"))
    part_number: Mapped[str] = mapped_column(ForeignKey("part.part_number"))
    qty: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(String(200))
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservation.id"))
    # An issue's unit list price, as its reservation line recorded it: what the figures value it at.
    list_price: Mapped[Decimal | None] = mapped_column(Price)
    created_at: Mapped[Instant]


class Reservation(Base):
    __tablename__ = "reservation"
    __table_args__ = (
        CheckConstraint(one_of("status", RESERVATION_STATUSES), name="status"),
        # The lazy expiry looks up due reservations per warehouse; stock reads over all of them.
        Index("ix_reservation_warehouse_status_expires_at", "warehouse", "status", "expires_at"),
        Index("ix_reservation_status_expires_at", "status", "expires_at"),
        # GET /reservations?reference= (a repair's reservations), newest first.
        Index("ix_reservation_reference_id", "reference", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    warehouse: Mapped[str] = mapped_column(ForeignKey("warehouse.code"))
    reference: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[Instant]
    expires_at: Mapped[Instant]
    closed_at: Mapped[Instant | None]

    lines: Mapped[list["ReservationLine"]] = relationship(
        order_by="ReservationLine.part_number", lazy="raise"
    )


class ReservationLine(Base):
    """A reserved part, with its prices as they stood when it was reserved."""

    __tablename__ = "reservation_line"
    __table_args__ = (
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint("consumed_qty >= 0 AND consumed_qty <= qty", name="consumed_within_qty"),
    )

    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservation.id"), primary_key=True)
    part_number: Mapped[str] = mapped_column(ForeignKey("part.part_number"), primary_key=True)
    qty: Mapped[int] = mapped_column(BigInteger)
    consumed_qty: Mapped[int] = mapped_column(BigInteger, default=0)
    list_price: Mapped[Decimal] = mapped_column(Price)
    out_of_warranty_price: Mapped[Decimal] = mapped_column(Price)

    part: Mapped[Part] = relationship(lazy="raise")


class IdempotencyRecord(IdempotencyRecordMixin, Base):
    __tablename__ = "idempotency_record"


class AuditEntry(AuditEntryMixin, Base):
    """The audit trail of inventory's data (shared/audit.py): append-only, kept so by triggers."""

    __tablename__ = "audit_entry"
