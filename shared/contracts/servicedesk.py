"""The service desk's contract (api.md "Service desk"): every wire limit and enum, declared once.

services/servicedesk's schemas and routes build their fields from these values; the web app's desk, station
and visit pages read them (the Jinja global `desk_contract`, the form handlers) so that no page restates a
limit. Changing a value here changes the API (its OpenAPI document) and every form with it.
"""

from typing import Literal

from shared.contracts import values

# common's limits (ids, text, serials, parts, pages) are re-published as this contract's own: a caller reads
# every limit of the operation from one module.
from shared.contracts.common import *  # noqa: F403
from shared.contracts.common import LONG_TEXT_MAX_LENGTH

# ---- a report (a ticket) --------------------------------------------------------------------------------

# A phone number: common's PHONE_MAX_LENGTH and PHONE_PATTERN, once trimmed (shared.wire.Phone).
ADDRESS_MIN_LENGTH, ADDRESS_MAX_LENGTH = 1, 500
DESCRIPTION_MAX_LENGTH = LONG_TEXT_MAX_LENGTH

Level = Literal[1, 2, 3, 4]
LEVELS = values(Level)
LEVEL_MIN, LEVEL_MAX = min(LEVELS), max(LEVELS)
Channel = Literal["phone", "web", "wechat"]
CHANNELS = values(Channel)
TicketStatus = Literal["incomplete", "open", "dispatched", "on_site", "resolved", "closed", "cancelled"]
TICKET_STATUSES = values(TicketStatus)

# ---- the steps of a ticket ------------------------------------------------------------------------------

# A site's code (a station, a service centre, a warehouse of inventory's): letters, digits, '-' and '_'.
SITE_CODE_MIN_LENGTH, SITE_CODE_MAX_LENGTH = 1, 40
SITE_CODE_PATTERN = r"^[A-Z0-9][A-Z0-9_-]{0,39}$"
STATION_MIN_LENGTH, STATION_MAX_LENGTH = SITE_CODE_MIN_LENGTH, SITE_CODE_MAX_LENGTH  # dispatch, redispatch
WAREHOUSE_MIN_LENGTH, WAREHOUSE_MAX_LENGTH = 1, 40  # a loaner's warehouse
# A station named in a list's filter (a code or a name as typed).
STATION_FILTER_MAX_LENGTH = 100
SUMMARY_MAX_LENGTH = LONG_TEXT_MAX_LENGTH  # what was done (resolve)
PARTS_REPLACED_MAX_ITEMS = 100
INVOICE_NUMBER_MIN_LENGTH, INVOICE_NUMBER_MAX_LENGTH = 1, 40
EMERGENCY_MEASURES_MIN_LENGTH, EMERGENCY_MEASURES_MAX_LENGTH = 1, 2000
NOTES_MAX_LENGTH = LONG_TEXT_MAX_LENGTH  # follow-up notes
REASON_MIN_LENGTH, REASON_MAX_LENGTH = 1, 500  # why a ticket or a visit is cancelled

Score = Literal[1, 2, 3, 4, 5]  # the customer's satisfaction on a follow-up call
SCORES = values(Score)
SCORE_MIN, SCORE_MAX = min(SCORES), max(SCORES)
PauseReason = Literal["customer_unavailable", "no_site_access", "customer_requested_later"]
PAUSE_REASONS = values(PauseReason)
Way = Literal["on_site", "phone", "remote"]  # how a fault was fixed
WAYS = values(Way)
LoanerStatus = Literal["not_due", "due", "provided", "returned", "measures_taken"]
LOANER_STATUSES = values(LoanerStatus)
ActorKind = Literal["user", "key", "system"]
PromiseState = Literal["at_risk", "breached"]  # the board's filter: a promise in this state now

# ---- complaints -----------------------------------------------------------------------------------------

COMPLAINT_TEXT_MIN_LENGTH, COMPLAINT_TEXT_MAX_LENGTH = 1, LONG_TEXT_MAX_LENGTH  # description, an action's notes
ComplaintStatus = Literal["open", "answered", "resolved"]
COMPLAINT_STATUSES = values(ComplaintStatus)
ComplaintSource = Literal["caller", "follow_up"]

# ---- commitments and the calendar (admin) ---------------------------------------------------------------

ClockName = Literal["round_the_clock", "business"]
CLOCKS = values(ClockName)
# A year of the service figures (`/reports/…/{year}`).
YEAR_MIN, YEAR_MAX = 2000, 2100
PROMISE_MINUTES_MIN, PROMISE_MINUTES_MAX = 1, 100_000  # a promise is at least a minute and at most this many
CALENDAR_DAYS_MAX = 366  # holidays, workdays: a year's days at most

# ---- planned visits -------------------------------------------------------------------------------------

VisitKind = Literal["pre_season", "pre_shutdown", "maintenance", "inspection"]
VISIT_KINDS = values(VisitKind)
VisitStatus = Literal["planned", "done", "missed", "cancelled"]
VISIT_STATUSES = values(VisitStatus)
ItemResult = Literal["ok", "fixed", "needs_repair", "not_applicable"]
ITEM_RESULTS = values(ItemResult)
Season = Literal["heating", "cooling"]
SEASONS = values(Season)
CHECK_CODE_MIN_LENGTH, CHECK_CODE_MAX_LENGTH = 1, 40
VISIT_STATION_MIN_LENGTH, VISIT_STATION_MAX_LENGTH = 1, 100
ITEM_NOTES_MAX_LENGTH = 2000
READING_MIN, READING_MAX = -1_000_000, 1_000_000  # a checklist reading, a JSON number
READING_MAX_CHARS = 20  # a reading as typed on a form (sign, digits, decimals) before it becomes a number
VISIT_NOTES_MAX_LENGTH = LONG_TEXT_MAX_LENGTH
CHECKLIST_MAX_ITEMS = 100
PARTS_USED_MAX_ITEMS = 50
SIGNATURE_MIN_LENGTH, SIGNATURE_MAX_LENGTH = 1, 300_000  # a PNG, base64: about 200 KB
PLAN_SERIALS_MAX_ITEMS = 500
SupplyVolts = Literal[220, 380]
SUPPLY_VOLTS = values(SupplyVolts)
Refrigerant = Literal["R22", "R407C", "R410A", "R32"]
REFRIGERANTS = values(Refrigerant)
RATED_CURRENT_MAX = 10_000  # amperes, more than 0

# ---- the organisation: sites, technicians, webhooks -----------------------------------------------------

SiteKind = Literal["central", "service_center", "repair_station"]
SiteStatus = Literal["open", "closed"]
Skill = Literal["cooling", "heating", "electrical", "controls", "water_system"]
SKILLS_MAX_ITEMS = 5
WebhookKind = Literal["wecom", "dingtalk"]
WEBHOOK_URL_MIN_LENGTH, WEBHOOK_URL_MAX_LENGTH = 8, 1000
NotificationKind = Literal["dispatch", "redispatch"]
NotificationStatus = Literal["pending", "sent", "failed"]
