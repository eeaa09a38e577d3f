"""What the codes of the API mean to a person: components, causes, reasons, states and problems.

Every text here is an English catalog id (marked with N_) translated where it is shown.
"""

from gateway.web.i18n import N_

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
INVOICE_STATUSES = {"issued": N_("Issued, unpaid"), "paid": N_("Paid"), "void": N_("Void")}
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
}
GENERIC_PROBLEM = (N_("The request could not be completed."), N_("Go back and try again."))
