"""Billing's domain errors: a stable code each; shared.errors renders them."""

from shared import errors


class RateCardNotFound(errors.NotFound):
    code, title = "rate_card_not_found", "No rate card is in force"


class ContractNotFound(errors.NotFound):
    code, title = "contract_not_found", "No such contract"


class InvoiceNotFound(errors.NotFound):
    code, title = "invoice_not_found", "No such invoice"


class InvalidInvoiceState(errors.Conflict):
    code, title = "invalid_invoice_state", "The invoice is not in a state that allows this"


class UnitNotFound(errors.NotFound):
    code, title = "unit_not_found", "No such unit"


class RegionNotFound(errors.NotFound):
    code, title = "region_not_found", "No season calendar for this region"


class ReservationNotFound(errors.NotFound):
    code, title = "reservation_not_found", "No such reservation"


class ReservationNotActive(errors.Conflict):
    code, title = "reservation_not_active", "The reservation is not active"


def invalid(field: str, message: str) -> errors.Unprocessable:
    """A 422 for a rule pydantic cannot see on its own (a date in the future, ...)."""
    return errors.Unprocessable(f"{field}: {message}", errors=[{"field": field, "message": message}])


class InvalidContractState(errors.Conflict):
    code, title = "invalid_contract_state", "The contract is not in a state that allows this"


class CompanyNotFound(errors.NotFound):
    code, title = "company_not_found", "The company on the bills has not been set"
