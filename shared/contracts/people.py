"""The gateway's own contract (api.md "People, audit and figures", "API keys"): people, their passwords, API
keys and the audit trail's filters. Declared once: gateway/schemas.py, gateway/passwords.py and gateway/trail.py
build from these values, the sign-in, password and admin pages read them (the Jinja global `people_contract`),
and the CLI's answers are checked against the same API. Changing a value here changes the API and every form
with it."""

from shared.contracts.common import TEXT_MAX_LENGTH, TEXT_MIN_LENGTH

# PostgreSQL refuses NUL in text: refused at the edge as a 422, never met in the database as a 500.
NO_NUL_PATTERN = r"^[^\x00]*$"

# A sign-in name: letters, digits and . _ @ -, 2 to 64 of them (case does not matter).
LOGIN_MAX_CHARS = 64
LOGIN_PATTERN = rf"^\s*[A-Za-z0-9][A-Za-z0-9._@-]{{1,{LOGIN_MAX_CHARS - 1}}}\s*$"

# A person's name as the pages show it, and the mobile phone a dispatcher calls.
DISPLAY_NAME_MIN_LENGTH, DISPLAY_NAME_MAX_LENGTH = TEXT_MIN_LENGTH, 100
PHONE_MAX_LENGTH = 40
PHONE_PATTERN = r"^[0-9+() -]*$"

# A password: at least this long; longer than the maximum is refused (422) before any hashing is done.
PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH = 10, 200

# An API key's name (what it is for, who holds it).
KEY_NAME_MIN_LENGTH, KEY_NAME_MAX_LENGTH = TEXT_MIN_LENGTH, TEXT_MAX_LENGTH

# Where a warehouse person or key may write, and the site a station person or key belongs to: codes as
# inventory and the service desk write them (never a comma).
WAREHOUSE_CODE_PATTERN = r"^\s*[A-Za-z0-9][A-Za-z0-9._/-]{0,39}\s*$"
SITE_CODE_PATTERN = r"^\s*[A-Za-z0-9][A-Za-z0-9._-]{0,39}\s*$"
WAREHOUSES_MAX_ITEMS = 100

# The people list's search (`?q=`): part of a name, a login or a phone.
PEOPLE_SEARCH_MAX_LENGTH = 100

# The audit trail's filters: a list page at most this long, and each text filter at most so many characters.
AUDIT_PAGE_MAX = 500
AUDIT_OBJECT_TYPE_MAX_LENGTH = 60
AUDIT_OBJECT_ID_MAX_LENGTH = TEXT_MAX_LENGTH
AUDIT_ACTOR_MAX_LENGTH = TEXT_MAX_LENGTH
