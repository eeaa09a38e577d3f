"""The service desk's domain errors: a stable code each; shared.errors renders them."""

from shared import errors

TicketNotFound = errors.kind("TicketNotFound", errors.NotFound, "ticket_not_found", "No such ticket")
ComplaintNotFound = errors.kind("ComplaintNotFound", errors.NotFound, "complaint_not_found", "No such complaint")
InvalidTicketState = errors.kind("InvalidTicketState", errors.Conflict, "invalid_ticket_state",
                                 "The ticket is not in a state that allows this")
InvalidComplaintState = errors.kind("InvalidComplaintState", errors.Conflict, "invalid_complaint_state",
                                    "The complaint is not in a state that allows this")
LoanerNotDue = errors.kind("LoanerNotDue", errors.Conflict, "loaner_not_due", "No loaner is due on this ticket")
LoanerInProgress = errors.kind("LoanerInProgress", errors.Conflict, "loaner_already_requested",
                               "A loaner for this ticket was already asked for")
InsufficientStock = errors.kind("InsufficientStock", errors.Conflict, "insufficient_stock", "Not enough stock")
NoCommitments = errors.kind("NoCommitments", errors.NotFound, "commitments_not_found", "No commitments are in force")
SiteNotFound = errors.kind("SiteNotFound", errors.NotFound, "site_not_found", "No such site")
SiteExists = errors.kind("SiteExists", errors.Conflict, "site_exists", "A site with this code exists")
TechnicianNotFound = errors.kind("TechnicianNotFound", errors.NotFound, "technician_not_found", "No such technician")
# Planned visits (visits.py).
VisitNotFound = errors.kind("VisitNotFound", errors.NotFound, "visit_not_found", "No such visit")
VisitNotPlanned = errors.kind("VisitNotPlanned", errors.Conflict, "visit_not_planned",
                              "The visit is not planned any more")
VisitTooEarly = errors.kind("VisitTooEarly", errors.Conflict, "visit_too_early", "The visit cannot be recorded yet")
VisitNotDone = errors.kind("VisitNotDone", errors.Conflict, "visit_not_done", "The visit has no record yet")


def invalid(field: str, message: str) -> errors.Unprocessable:
    return errors.Unprocessable(f"{field}: {message}", errors=[{"field": field, "message": message}])


def invalid_many(problems: list[tuple[str, str]]) -> errors.Unprocessable:
    detail = "; ".join(f"{field}: {message}" for field, message in problems)
    return errors.Unprocessable(detail, errors=[{"field": f, "message": m} for f, m in problems])


class _Refused(errors.ServiceError):
    """A 422 naming the field it is about, like a validation error but with its own code."""

    status = 422
    field = "body"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail, errors=[{"field": field or self.field, "message": detail}])


InvalidEventTime = errors.kind("InvalidEventTime", _Refused, "invalid_event_time", "The event's time is not possible",
                               field="at")
UnknownStation = errors.kind("UnknownStation", _Refused, "unknown_station",
                             "No open station that can take work has this code", field="station")
UnknownTechnician = errors.kind("UnknownTechnician", _Refused, "unknown_technician",
                                "Not an active technician of this station", field="technician_id")
SameTechnician = errors.kind("SameTechnician", _Refused, "same_technician",
                             "Send a technician other than the one who had the ticket", field="technician_id")
LoanerClassMismatch = errors.kind("LoanerClassMismatch", _Refused, "loaner_class_mismatch",
                                  "The part is not a loaner of the unit's class", field="part_number")


class ChecklistIncomplete(errors.ServiceError):
    status, code, title = 422, "checklist_incomplete", "Every item of the checklist needs a result"

    def __init__(self, missing: list[str]) -> None:
        super().__init__(f"No result for {', '.join(missing)}",
                         errors=[{"field": f"items.{code}", "message": "a result is needed"} for code in missing])
