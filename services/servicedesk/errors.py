"""The service desk's domain errors: a stable code each; shared.errors renders them."""

from shared import errors


class TicketNotFound(errors.NotFound):
    code, title = "ticket_not_found", "No such ticket"


class ComplaintNotFound(errors.NotFound):
    code, title = "complaint_not_found", "No such complaint"


class InvalidTicketState(errors.Conflict):
    code, title = "invalid_ticket_state", "The ticket is not in a state that allows this"


class InvalidComplaintState(errors.Conflict):
    code, title = "invalid_complaint_state", "The complaint is not in a state that allows this"


class LoanerNotDue(errors.Conflict):
    code, title = "loaner_not_due", "No loaner is due on this ticket"


class InsufficientStock(errors.Conflict):
    code, title = "insufficient_stock", "Not enough stock"


class InvalidEventTime(errors.ServiceError):
    status, code, title = 422, "invalid_event_time", "The event's time is not possible"

    def __init__(self, detail: str, *, field: str = "at") -> None:
        super().__init__(detail, errors=[{"field": field, "message": detail}])


class NoCommitments(errors.NotFound):
    code, title = "commitments_not_found", "No commitments are in force"


def invalid(field: str, message: str) -> errors.Unprocessable:
    return errors.Unprocessable(f"{field}: {message}", errors=[{"field": field, "message": message}])


def invalid_many(problems: list[tuple[str, str]]) -> errors.Unprocessable:
    detail = "; ".join(f"{field}: {message}" for field, message in problems)
    return errors.Unprocessable(detail, errors=[{"field": f, "message": m} for f, m in problems])


class LoanerInProgress(errors.Conflict):
    code, title = "loaner_already_requested", "A loaner for this ticket was already asked for"


class SiteNotFound(errors.NotFound):
    code, title = "site_not_found", "No such site"


class SiteExists(errors.Conflict):
    code, title = "site_exists", "A site with this code exists"


class TechnicianNotFound(errors.NotFound):
    code, title = "technician_not_found", "No such technician"


class VisitNotFound(errors.NotFound):
    code, title = "visit_not_found", "No such visit"


class VisitNotPlanned(errors.Conflict):
    code, title = "visit_not_planned", "The visit is not planned any more"


class VisitTooEarly(errors.Conflict):
    code, title = "visit_too_early", "The visit cannot be recorded yet"


class VisitNotDone(errors.Conflict):
    code, title = "visit_not_done", "The visit has no record yet"


class _Refused(errors.ServiceError):
    """A 422 naming the field it is about, like a validation error but with its own code."""

    status = 422
    field = "body"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail, errors=[{"field": field or self.field, "message": detail}])


class UnknownStation(_Refused):
    code, title, field = "unknown_station", "No open station that can take work has this code", "station"


class UnknownTechnician(_Refused):
    code, title, field = "unknown_technician", "Not an active technician of this station", "technician_id"


class SameTechnician(_Refused):
    code, title, field = "same_technician", "Send a technician other than the one who had the ticket", \
        "technician_id"


class LoanerClassMismatch(_Refused):
    code, title, field = "loaner_class_mismatch", "The part is not a loaner of the unit's class", "part_number"


class ChecklistIncomplete(errors.ServiceError):
    status, code, title = 422, "checklist_incomplete", "Every item of the checklist needs a result"

    def __init__(self, missing: list[str]) -> None:
        super().__init__(f"No result for {', '.join(missing)}",
                         errors=[{"field": f"items.{code}", "message": "a result is needed"} for code in missing])
