"""The admin console's words: what its refusals mean, what each field is called and what it takes.

Every text is an English catalog id (marked with N_) translated where it is shown. The problems the
other pages already explain (gateway.web.words.PROBLEMS) are not repeated here.
"""

from gateway.web import desk_common
from gateway.web.i18n import N_

# What happened, and what to do about it, for the refusals met only on the console's pages.
PROBLEMS = {
    "below_legal_minimum": (N_("A term is shorter than the law allows."),
                            N_("Lengthen the term marked below to at least the legal minimum.")),
    "invalid_policy": (N_("The policy is not complete or not valid."),
                       N_("Give every category one term, in its own unit, and try again.")),
    "effective_from_in_past": (N_("A new version cannot take effect in the past."),
                               N_("Choose today or a later day.")),
    "invalid_season": (N_("A season boundary is not a day of every year."),
                       N_("Choose a month and a day that every year has (not 29 February).")),
    "unknown_region": (N_("No season calendar exists for this region."),
                       N_("Choose a region from the list, or add its season calendar first.")),
    "accepted_in_future": (N_("The commissioning acceptance cannot lie in the future."),
                           N_("Enter the day the unit was accepted.")),
    "invalid_import": (N_("The file cannot be read as a list of units."),
                       N_("Check that the first row names the columns, that no column is unknown, and that "
                          "the file is saved as UTF-8 CSV.")),
    "part_exists": (N_("A part with this number already exists."), N_("Open it from the list instead.")),
    "model_exists": (N_("A model with this code already exists."), N_("Open it from the list instead.")),
    "model_not_found": (N_("No model with this code exists."), N_("Choose a model from the list.")),
    "warehouse_exists": (N_("A warehouse with this code already exists."), N_("Choose another code.")),
    "part_under_supply_guarantee": (
        N_("This part cannot be retired: it is on the bill of parts of a model still under the three-year "
           "supply guarantee."),
        N_("Retire it once every model that uses it has been discontinued for three years, or take it off "
           "their bills of parts first.")),
    "rate_card_not_found": (N_("No rate card is in force yet."), N_("Enter the rates below to start one.")),
    "commitments_not_found": (N_("No commitments are set yet."), N_("Enter them below.")),
    "site_exists": (N_("A site with this code already exists."), N_("Open it from the list instead.")),
    "site_not_found": (N_("No site with this code exists."), N_("Choose a site from the list.")),
    "unknown_station": (N_("No open station with this code exists."), N_("Choose a station from the list.")),
    "technician_not_found": (N_("This technician does not exist."),
                             N_("Open the technician again from the list.")),
    "not_found": (N_("This record does not exist."), N_("Go back to the list and choose it again.")),
    "duplicate_in_file": (N_("This serial number appears earlier in the file."),
                          N_("Keep one row per unit.")),
    "invalid_row": (N_("A value in this row is missing or not valid."),
                    N_("Correct the row and import the bad rows again.")),
}

# What a field takes, shown next to it when a service names it in a refusal.
RULES = {
    "code": N_("1 to 40 letters, digits or . _ / - , starting with a letter or digit."),
    "serial": N_("6 to 40 letters, digits or dashes, as on the nameplate."),
    "text": N_("Required, at most 200 characters."),
    "money": N_("An amount in yuan with at most two decimals, e.g. 1280.00."),
    "count": N_("A whole number, 0 or more."),
    "positive": N_("A whole number, 1 or more."),
    "date": N_("A day, e.g. 2026-11-27."),
    "future": N_("Today or a later day."),
    "pick": N_("Choose one from the list."),
    "percent": N_("A percentage below 100, e.g. 13."),
    "minutes": N_("A whole number of minutes, 1 or more."),
    "month_day": N_("A month and a day that every year has."),
    "phone": N_("A phone number, digits with spaces or dashes."),
    "url": N_("An https address."),
    "prices": N_("The out-of-warranty price may not be above the list price."),
    "dates": N_("Dates of the chosen year, one per line or separated by commas; a span as 2027-10-01..2027-10-07."),
    "time": N_("A time of day, e.g. 08:30."),
    "term": N_("A whole number in the unit shown."),
    "site_code": N_("1 to 40 letters, digits, - or _, starting with a letter or digit."),
    "parent": N_("A repair station belongs to a service centre; a service centre to the central warehouse or to "
                 "nothing."),
    "address": N_("Required, at most 500 characters."),
    "company_address": N_("Required, at most 300 characters."),
    "webhook": N_("The robot's https address on the internet: not a private or local address, no user name or "
                  "password."),
    "taxpayer": N_("15 to 20 letters and digits (the unified social credit code has 18)."),
    "account": N_("The account number: digits, with spaces or dashes between them."),
    "other": N_("Check this value."),
}

TERM_KINDS = {"months": N_("months"), "heating_seasons": N_("heating seasons"),
              "cooling_seasons": N_("cooling seasons")}
# The law's floor per category (domain.md section 2), to say what a refused term must reach.
LEGAL_FLOOR = {
    "unit": N_("at least 1 month"),
    "electrical_lines": N_("at least 24 months (2 years, the legal minimum)"),
    "water_piping": N_("at least 24 months (2 years, the legal minimum)"),
    "installation": N_("at least 24 months (2 years, the legal minimum)"),
    "heating_system": N_("at least 2 heating seasons (the legal minimum)"),
    "cooling_system": N_("at least 2 cooling seasons (the legal minimum)"),
}
SEASONS = {"heating": N_("Heating season"), "cooling": N_("Cooling season")}
CLOCKS = {"round_the_clock": N_("Round the clock"), "business": N_("Business hours")}
# The fault levels and the milestones each level's commitments set, in the desk's own words.
LEVELS = desk_common.LEVELS
MILESTONES = {m: desk_common.MILESTONES[m] for m in ("dispatch", "on_site", "fixed")}
DESK_PROMISES = {"follow_up": desk_common.MILESTONES["follow_up"], "complaint_answer": N_("Complaint answered"),
                 "complaint_resolve": N_("Complaint resolved")}
PART_STATUSES = {"active": N_("In use"), "retired": N_("Retired")}
SITE_STATUSES = {"open": N_("In operation"), "closed": N_("Closed down")}
WEBHOOK_KINDS = {"wecom": N_("WeCom group robot"), "dingtalk": N_("DingTalk group robot")}
SKILLS = {"cooling": N_("Cooling"), "heating": N_("Heating"), "electrical": N_("Electrical"),
          "controls": N_("Controls"), "water_system": N_("Water system")}
CALENDAR_SOURCES = {"admin": N_("entered by an administrator"), "package": N_("published schedule"),
                    "statutory": N_("statutory holidays only")}
# Units of measure offered for a part (any other may be typed).
UOMS = ("个", "台", "套", "片", "件", "只", "根", "米", "千克", "升")
MONTHS = tuple(range(1, 13))
DAYS = tuple(range(1, 32))
