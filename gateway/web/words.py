"""What the codes of the API mean to a person: components, causes, reasons, states and problems.

Every text here is an English catalog id (marked with N_) translated where it is shown.
"""

from gateway.web.i18n import N_
from shared import glossary

COMPONENTS = {
    "unit": N_("The unit as a whole"),
    "electrical_lines": N_("Electrical lines"),
    "water_piping": N_("Water supply and drainage piping"),
    "installation": N_("Equipment installation work"),
    "heating_system": N_("Heating system"),
    "cooling_system": N_("Cooling system"),
}

# In the order a technician meets them: what excludes nothing first.
CAUSES = {
    "quality_defect": N_("Product quality defect"),
    "unknown": N_("Cause not known"),
    "improper_use": N_("Used against the instructions"),
    "improper_maintenance": N_("Maintained against the instructions"),
    "improper_storage": N_("Stored against the instructions"),
    "improper_transport": N_("Transported against the instructions"),
    "unstable_power_supply": N_("Unstable power supply"),
    "harsh_environment": N_("Harsh environment"),
    "modified_wiring": N_("Wiring modified without authorisation"),
    "replaced_internal_parts": N_("Internal parts replaced without authorisation"),
    "force_majeure": N_("Force majeure"),
    "natural_disaster": N_("Natural disaster"),
    "accident": N_("Accident"),
}

REASONS = {
    "not_yet_accepted": N_(
        "The failure happened before the commissioning acceptance: it is still the installer's job."),
    "term_expired": N_("The failure happened after this component's warranty ended."),
    "excluded_misuse": N_(
        "Exclusion 1: the unit was used, maintained, stored or transported against the instructions."),
    "excluded_power_supply": N_("Exclusion 2: the damage comes from an unstable power supply."),
    "excluded_abnormal_use": N_(
        "Exclusion 3: abnormal conditions, or wiring or internal parts changed without authorisation."),
    "excluded_certificate": N_(
        "Exclusion 4: no warranty certificate was shown, it does not match the unit, or it was altered."),
    "excluded_force_majeure": N_("Exclusion 5: force majeure, natural disaster or accident."),
}

DECISIONS = {"approved": N_("Covered by the warranty"), "rejected": N_("Not covered by the warranty")}

HISTORY_KINDS = {
    "claim": N_("Warranty decision"),
    "repair": N_("Repair"),
    "inspection": N_("Inspection"),
    "maintenance": N_("Maintenance"),
}
VISIT_KINDS = ("repair", "inspection", "maintenance")

RESERVATION_STATUSES = {
    "active": N_("Reserved"),
    "consumed": N_("Issued"),
    "released": N_("Released"),
    # Not the warranty's "Expired" (过保): a reservation whose hold ran out.
    "expired": N_("Hold expired"),
}
INVOICE_STATUSES = {"issued": N_("Issued, unpaid"), "paid": N_("Paid"), "void": N_("Voided")}
LINE_KINDS = {"part": N_("Part"), "labor": N_("Labour"), "callout": N_("Call-out fee")}
LINE_DESCRIPTIONS = {"labor": N_("Labour hours at the rate"), "callout": N_("Site visits")}
CONTRACT_VISIT_KINDS = {"inspection": N_("Inspection"), "maintenance": N_("Maintenance")}
WAREHOUSE_KINDS = {
    "central": N_("Central warehouse"),
    "service_center": N_("Service centre"),
    "repair_station": N_("Repair station"),
}
MOVEMENT_KINDS = {
    "receipt": N_("Goods in"),
    "issue": N_("Issued"),
    "transfer_in": N_("Transfer in"),
    "transfer_out": N_("Transfer out"),
    "adjustment": N_("Count correction"),
}
# The regions shipped with the platform; others are shown as their code.
REGIONS = {"shandong": N_("Shandong"), "beijing": N_("Beijing"), "harbin": N_("Harbin")}
ROLES = {
    "admin": N_("Administrator"),
    "station": N_("Repair station"),
    "warehouse": N_("Warehouse"),
    "billing": N_("Billing"),
    "desk": N_("Service desk"),
    "metrics": N_("Monitoring"),
    "manager": N_("Manager"),
}

# What happened, and what to do about it, for each problem code a page can meet.
PROBLEMS = {
    "unit_not_found": (N_("No unit with this serial number is registered."),
                       N_("Check the serial on the nameplate and type it again, or scan the code.")),
    "claim_not_found": (N_("This warranty claim does not exist."), N_("Open it again from the unit's history.")),
    "unknown_cause": (N_("One of the causes is not known to the warranty service."),
                      N_("Choose the causes from the list.")),
    "part_not_found": (N_("No part with this number exists."), N_("Check the part number and try again.")),
    "warehouse_not_found": (N_("No warehouse with this code exists."), N_("Choose a warehouse from the list.")),
    "reservation_not_found": (N_("This reservation does not exist."),
                              N_("Look it up again by its repair reference.")),
    "insufficient_stock": (N_("There is not enough stock available: nothing was reserved."),
                           N_("Reserve less, choose another warehouse, or ask for a transfer.")),
    "reservation_not_active": (N_("This reservation is no longer active: its parts were already issued, "
                                  "released or it expired."),
                               N_("Reserve the parts again if they are still needed.")),
    "invalid_consume_lines": (N_("The quantities used do not fit the reservation."),
                              N_("Use at most the reserved quantity of each part.")),
    "warehouse_forbidden": (N_("You may not change stock at this warehouse."),
                            N_("Choose one of your own warehouses, or ask an administrator.")),
    "invoice_not_found": (N_("This bill does not exist."), N_("Check the bill number.")),
    "invalid_invoice_state": (N_("This bill was already paid or voided."),
                              N_("Paid and void bills cannot change; issue a new bill if needed.")),
    "contract_not_found": (N_("This contract does not exist."), N_("Open it again from the list of contracts.")),
    "invalid_contract_state": (N_("This contract cannot be cancelled on that day."),
                               N_("Check that it is still running and that the day lies within it.")),
    "rate_card_not_found": (N_("No rate card is in force."), N_("Ask an administrator to set the rates.")),
    "region_not_found": (N_("No season calendar exists for this region."),
                         N_("Ask an administrator to set the region's calendar.")),
    "unit_exists": (N_("A unit with this serial number is already registered."), N_("Look the unit up instead.")),
    "validation_error": (N_("Some of what was entered is not valid."),
                         N_("Check the fields named below and try again.")),
    "idempotency_in_progress": (N_("The same request is still being handled."),
                                N_("Wait a moment, then reload the page.")),
    "idempotency_key_reused": (N_("This form was already sent with other values."),
                               N_("Open the form again and fill it in anew.")),
    "forbidden": (N_("Your role may not do this."),
                  N_("If your work needs it, ask an administrator to change your role.")),
    "upstream_unavailable": (N_("A service this page needs is not available right now."),
                             N_("Nothing was changed. Try again in a minute; if it lasts, call the help desk.")),
    "upstream_timeout": (N_("A service this page needs did not answer in time."),
                         N_("It may or may not have been done: look before you try again.")),
    "rate_limited": (N_("Too many requests in a short time."), N_("Wait a few seconds and try again.")),
    "not_found": (N_("This page or record does not exist."), N_("Go back and try again.")),
    "method_not_allowed": (N_("The service does not offer this yet."),
                           N_("Ask an administrator to update the platform.")),
    "payload_too_large": (N_("What was sent is too large."), N_("Send less at once.")),
    "internal_error": (N_("Something went wrong on our side."),
                       N_("Try again; if it happens again, tell the help desk the request number.")),
    "csrf_failed": (N_("This form has expired or did not come from this site."),
                    N_("Reload the page and send the form again.")),
    "bad_serial": (N_("A serial number is 6 to 40 letters, digits or dashes."),
                   N_("Check the serial on the nameplate and type it again, or scan the code.")),
    "bad_input": (N_("Some of what was entered is not valid."), N_("Check the highlighted fields and try again.")),
    # The service desk's refusals.
    "ticket_not_found": (N_("This ticket does not exist."), N_("Open it again from the board.")),
    "invalid_ticket_state": (N_("This step does not fit the ticket's state (someone may have logged it already)."),
                             N_("Reload the ticket to see where it stands.")),
    "invalid_event_time": (N_("That time is in the future or before the ticket's previous step."),
                           N_("Enter when it really happened, or leave the time empty for now.")),
    "loaner_not_due": (N_("No loaner is due: the fix is not late, or this level has no loaner."),
                       N_("A loaner can be reserved once the fix is overdue.")),
    "loaner_already_requested": (N_("A loaner was already reserved for this ticket."),
                                 N_("Reload the ticket to see it.")),
    "complaint_not_found": (N_("This complaint does not exist."), N_("Open it again from the list of complaints.")),
    "invalid_complaint_state": (N_("This complaint was already answered or resolved."),
                                N_("Reload it to see where it stands.")),
    "conflict": (N_("Someone changed this at the same moment."), N_("Reload the page and try again.")),
    "database_busy": (N_("The service is busy right now."), N_("Nothing was changed. Try again in a moment.")),
    # People and keys (the admin console).
    "login_exists": (N_("Somebody already has this login name."), N_("Choose another login name.")),
    "user_not_found": (N_("This person does not exist."), N_("Open them again from the list of people.")),
    "api_key_not_found": (N_("This key does not exist."), N_("Open the list of keys again.")),
    "unknown_station": (N_("The service desk has no such open station or service centre."),
                        N_("Choose the station from the list.")),
    "unknown_warehouse": (N_("Inventory has no such warehouse."), N_("Choose the warehouses from the list.")),
    # Every other code a service or the gateway can answer (tests/gateway/test_words_catalog.py finds them).
    "bad_request": (N_("The request could not be read."), N_("Reload the page and try again.")),
    "unauthorized": (N_("You are not signed in, or your key is not valid."), N_("Sign in again.")),
    "incomplete_body": (N_("What was sent did not arrive in full."),
                        N_("Check the connection and send the form again.")),
    "invalid_cursor": (N_("This list's page marker is no longer valid."),
                       N_("Open the list again from its first page.")),
    "value_out_of_range": (N_("A number entered is too large or too small."), N_("Check the numbers and try again.")),
    "invalid_request_target": (N_("The address of this request is not valid."),
                               N_("Go back and open the page from the menu.")),
    "not_acceptable": (N_("The service cannot answer in the form asked for."),
                       N_("Reload the page; if it happens again, tell the help desk.")),
    "unsupported_media_type": (N_("What was sent is not in a form the service reads."),
                               N_("Check the file type and send it again.")),
    "accepted_in_future": (N_("The commissioning acceptance date lies in the future."),
                           N_("Enter the day the acceptance really took place.")),
    "unknown_region": (N_("No season calendar exists for this region."),
                       N_("Ask an administrator to set the region's calendar.")),
    "invalid_import": (N_("The import file cannot be read."),
                       N_("Send a UTF-8 CSV or JSON file with the required columns.")),
    "below_legal_minimum": (N_("A warranty term is shorter than the law allows."),
                            N_("Set each component's term to at least the legal minimum.")),
    "invalid_policy": (N_("The warranty policy is not valid."), N_("Check the terms named below.")),
    "effective_from_in_past": (N_("A new version cannot take effect on a past day."),
                               N_("Choose today or a later day.")),
    "invalid_season": (N_("A season's first or last day is not a day of every year."),
                       N_("Choose days every year has (not 29 February).")),
    "model_exists": (N_("A model with this code is already registered."),
                     N_("Open that model instead, or choose another code.")),
    "model_not_found": (N_("No model with this code exists."), N_("Check the model code, or choose it from the list.")),
    "part_exists": (N_("A part with this number already exists."),
                    N_("Open that part instead, or choose another number.")),
    "part_under_supply_guarantee": (N_("This part cannot be retired: a model under the supply guarantee needs it."),
                                    N_("Keep the part in use until the guarantee ends.")),
    "warehouse_exists": (N_("A warehouse with this code already exists."),
                         N_("Open that warehouse instead, or choose another code.")),
    "company_not_found": (N_("The company printed on the bills has not been set."),
                          N_("Ask an administrator to enter the company's details.")),
    "commitments_not_found": (N_("No service commitments are in force."),
                              N_("Ask an administrator to set the commitments.")),
    "site_exists": (N_("A site with this code already exists."), N_("Open that site instead, or choose another code.")),
    "site_not_found": (N_("No site with this code exists."), N_("Choose the site from the list.")),
    "technician_not_found": (N_("This technician does not exist."),
                             N_("Open them again from the list of technicians.")),
    "unknown_technician": (N_("This is not an active technician of the station."),
                           N_("Choose the technician from the list.")),
    "same_technician": (N_("This technician already had the ticket: send another one."),
                        N_("Choose another technician from the list.")),
    "loaner_class_mismatch": (N_("The loaner is not of the same class as the unit."),
                              N_("Choose a loaner of the unit's class from the list.")),
    # The planned visits' refusals, in the words of the visits pages (gateway/web/visits.py).
    "visit_not_found": (N_("This visit does not exist, or is not one of your station's."),
                        N_("Open it again from your station's visits.")),
    "visit_not_planned": (N_("This visit is no longer planned: it was recorded, cancelled or missed."),
                          N_("Open it again to see what happened to it.")),
    "visit_too_early": (N_("This visit cannot be recorded yet: it opens 30 days before its due day."),
                        N_("Record it when it is due.")),
    "visit_not_done": (N_("This visit has no record yet, so there is no report to print."),
                       N_("Record the visit first.")),
    "checklist_incomplete": (N_("Every item of the checklist needs a result."),
                             N_("Tap a result for each item marked below, then send again.")),
}
GENERIC_PROBLEM = (N_("The request could not be completed."), N_("Go back and try again."))

# ---- every value a page can show ---------------------------------------------------------------
PAYMENT_METHODS = {"cash": N_("Cash"), "bank_transfer": N_("Bank transfer"), "wechat_pay": N_("WeChat Pay"),
                   "alipay": N_("Alipay")}
PART_STATUSES = {"active": N_("In use"), "retired": N_("Retired")}
TERM_KINDS = {"months": N_("Months"), "heating_seasons": N_("Heating seasons"),
              "cooling_seasons": N_("Cooling seasons")}
CONTRACT_STATUSES = {"active": N_("Running"), "cancelled": N_("Cancelled")}
CONTRACT_VISIT_STATES = {"planned": N_("Planned"), "done": N_("Done"), "missed": N_("Missed")}
SITE_STATUSES = {"open": N_("Open for work"), "closed": N_("Closed down")}
SKILLS = {"cooling": N_("Cooling"), "heating": N_("Heating"), "electrical": N_("Electrical"),
          "controls": N_("Controls"), "water_system": N_("Water system")}
NOTIFICATION_KINDS = {"dispatch": N_("Dispatch notice"), "redispatch": N_("Re-dispatch notice")}
NOTIFICATION_STATUSES = {"pending": N_("Waiting to be sent"), "sent": N_("Sent"), "failed": N_("Sending failed")}
WEBHOOK_KINDS = {"wecom": N_("WeCom"), "dingtalk": N_("DingTalk")}
COMPLAINT_SOURCES = {"caller": N_("The customer's call"), "follow_up": N_("Raised at the follow-up call")}

# The tables whose Chinese is the one glossary's (shared/glossary.py), which the PDFs print: same thing,
# same words. The visits page's kinds and results are compared in the test as well.
SHARED_TERMS = {
    "components": (COMPONENTS, glossary.COMPONENTS),
    "causes": (CAUSES, glossary.CAUSES),
    "decisions": (DECISIONS, glossary.DECISIONS),
    "bill statuses": (INVOICE_STATUSES, glossary.BILL_STATUSES),
    "line kinds": (LINE_KINDS, glossary.LINE_KINDS),
    "payment methods": (PAYMENT_METHODS, glossary.PAYMENT_METHODS),
}

# Wire values shown as they are: technical codes everyone in the trade writes the same way.
SHOWN_AS_IS = frozenset({"servicedesk.ModelSpecIn.refrigerant", "servicedesk.ModelSpecIn.supply_volts"})


def value_words() -> dict[str, dict]:
    """The words of every value of every closed wire field ("service.Model.field"), and of the domain's value
    lists read models carry as plain text ("service.domain.NAME"). A field a service adds without words here
    fails tests/gateway/test_words_catalog.py. (A function: the desk's and the visits' tables live in
    modules that import this one.)"""
    from gateway.web import desk_common as desk
    from gateway.web import glossary as figures
    from gateway.web import visits

    visit_statuses = {code: label for code, (_colour, label) in visits.STATUSES.items()}
    milestone_states = {code: label for code, (_colour, label) in desk.STATES.items()}
    return {
        # warranty
        "warranty.ClaimCreate.component": COMPONENTS,
        "warranty.TermIn.component": COMPONENTS,
        "warranty.TermIn.kind": TERM_KINDS,
        "warranty.ServiceRecordCreate.kind": HISTORY_KINDS,
        "warranty.HistoryItem.kind": HISTORY_KINDS,
        "warranty.ClaimRead.decision": DECISIONS,
        "warranty.CoverageItem.reason": REASONS,
        # inventory
        "inventory.PartCreate.status": PART_STATUSES,
        "inventory.PartUpdate.status": PART_STATUSES,
        "inventory.PartRead.status": PART_STATUSES,
        "inventory.WarehouseCreate.kind": WAREHOUSE_KINDS,
        "inventory.MovementRead.kind": MOVEMENT_KINDS,
        "inventory.ReservationRead.status": RESERVATION_STATUSES,
        # billing
        "billing.PaymentIn.method": PAYMENT_METHODS,
        "billing.PaymentRead.method": PAYMENT_METHODS,
        "billing.BillingReport.group_by": figures.GROUPS,
        "billing.ContractRead.status": CONTRACT_STATUSES,
        "billing.VisitRead.kind": CONTRACT_VISIT_KINDS,
        "billing.VisitRead.state": CONTRACT_VISIT_STATES,
        "billing.ClaimRead.decision": DECISIONS,
        "billing.LineRead.kind": LINE_KINDS,
        "billing.BillRead.status": INVOICE_STATUSES,
        # service desk
        "servicedesk.TicketCreate.channel": desk.CHANNELS,
        "servicedesk.TicketUpdate.channel": desk.CHANNELS,
        "servicedesk.PauseIn.reason": desk.PAUSE_REASONS,
        "servicedesk.ResolveIn.way": desk.WAYS,
        "servicedesk.LoanerRead.status": desk.LOANER,
        "servicedesk.ActorRead.kind": figures.ACTOR_KINDS,
        "servicedesk.ComplaintRead.status": desk.COMPLAINT_STATUSES,
        "servicedesk.ComplaintRead.source": COMPLAINT_SOURCES,
        "servicedesk.PromiseIn.clock": desk.CLOCKS,
        "servicedesk.WebhookIn.kind": WEBHOOK_KINDS,
        "servicedesk.SiteCreate.kind": WAREHOUSE_KINDS,
        "servicedesk.SiteRead.kind": WAREHOUSE_KINDS,
        "servicedesk.StationOffer.kind": WAREHOUSE_KINDS,
        "servicedesk.SiteCreate.status": SITE_STATUSES,
        "servicedesk.SiteUpdate.status": SITE_STATUSES,
        "servicedesk.SiteRead.status": SITE_STATUSES,
        "servicedesk.StationOffer.status": SITE_STATUSES,
        "servicedesk.TechnicianCreate.skills": SKILLS,
        "servicedesk.TechnicianUpdate.skills": SKILLS,
        "servicedesk.NotificationRead.kind": NOTIFICATION_KINDS,
        "servicedesk.NotificationRead.status": NOTIFICATION_STATUSES,
        "servicedesk.ItemIn.result": visits.RESULTS,
        "servicedesk.ItemRead.result": visits.RESULTS,
        "servicedesk.VisitRead.kind": visits.KINDS,
        "servicedesk.VisitRead.status": visit_statuses,
        "servicedesk.VisitRead.season": visits.SEASONS,
        # the service desk's values that its read models carry as text
        "servicedesk.domain.STATUSES": desk.STATUSES,
        "servicedesk.domain.LEVELS": desk.LEVELS,
        "servicedesk.domain.CHANNELS": desk.CHANNELS,
        "servicedesk.domain.PAUSE_REASONS": desk.PAUSE_REASONS,
        "servicedesk.domain.MILESTONES": desk.MILESTONES,
        "servicedesk.domain.CLOCKS": desk.CLOCKS,
        "servicedesk.domain.UNMET": milestone_states,
        # people and keys
        "gateway.ApiKeyCreate.role": ROLES,
        "gateway.ApiKeyRead.role": ROLES,
        "gateway.ApiKeyCreated.role": ROLES,
        "gateway.UserCreate.role": ROLES,
        "gateway.UserUpdate.role": ROLES,
        "gateway.UserRead.role": ROLES,
        "gateway.UserCreated.role": ROLES,
    }
