"""Billing's domain errors: a stable code each; shared.errors renders them."""

from shared import errors

RateCardNotFound = errors.kind("RateCardNotFound", errors.NotFound, "rate_card_not_found", "No rate card is in force")
ContractNotFound = errors.kind("ContractNotFound", errors.NotFound, "contract_not_found", "No such contract")
InvoiceNotFound = errors.kind("InvoiceNotFound", errors.NotFound, "invoice_not_found", "No such invoice")
InvalidInvoiceState = errors.kind("InvalidInvoiceState", errors.Conflict, "invalid_invoice_state",
                                  "The invoice is not in a state that allows this")
UnitNotFound = errors.kind("UnitNotFound", errors.NotFound, "unit_not_found", "No such unit")
RegionNotFound = errors.kind("RegionNotFound", errors.NotFound, "region_not_found",
                             "No season calendar for this region")
ReservationNotFound = errors.kind("ReservationNotFound", errors.NotFound, "reservation_not_found",
                                  "No such reservation")
ReservationNotActive = errors.kind("ReservationNotActive", errors.Conflict, "reservation_not_active",
                                   "The reservation is not active")
InvalidContractState = errors.kind("InvalidContractState", errors.Conflict, "invalid_contract_state",
                                   "The contract is not in a state that allows this")
CompanyNotFound = errors.kind("CompanyNotFound", errors.NotFound, "company_not_found",
                              "The company on the bills has not been set")


def invalid(field: str, message: str) -> errors.Unprocessable:
    """A 422 for a rule pydantic cannot see on its own (a date in the future, ...)."""
    return errors.Unprocessable(f"{field}: {message}", errors=[{"field": field, "message": message}])
