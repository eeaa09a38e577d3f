"""Limits every service's wire shares (shared.types builds its Text, LongText, Qty... from them)."""

# Ids are 32-bit integers on PostgreSQL: a larger one cannot exist anywhere.
ID_MIN, ID_MAX = 1, 2_147_483_647

# A name, a person, a title: one line.
TEXT_MIN_LENGTH, TEXT_MAX_LENGTH = 1, 200
# A description, a summary, notes: a paragraph.
LONG_TEXT_MAX_LENGTH = 4000

# A quantity of parts.
QTY_MIN, QTY_MAX = 1, 1_000_000

# A unit's serial number: as typed (spaces around it are dropped, letters upper-cased) at most
# SERIAL_MAX_LENGTH characters; once cleaned, SERIAL_PATTERN: letters, digits and '-', 6 to 40 of them.
SERIAL_MAX_LENGTH = 100
SERIAL_MIN_CHARS, SERIAL_MAX_CHARS = 6, 40
# A serial inside a longer text (a QR code carrying a URL): the same characters, not anchored.
SERIAL_CHARS = rf"[A-Z0-9-]{{{SERIAL_MIN_CHARS},{SERIAL_MAX_CHARS}}}"
SERIAL_PATTERN = rf"^{SERIAL_CHARS}$"

# A phone number (a caller's, a site's, a technician's, the company's): once trimmed, a digit, '(' or a
# leading '+', then digits, spaces, '-' and brackets, 5 to PHONE_MAX_LENGTH characters.
PHONE_MAX_LENGTH = 40
PHONE_PATTERN = rf"^[+(0-9][0-9 ()-]{{4,{PHONE_MAX_LENGTH - 1}}}$"

# A region's code (a unit's and its season calendar's, a site's, a service contract's): 1 to 40 characters.
REGION_MIN_LENGTH, REGION_MAX_LENGTH = 1, 40

# A unit's model code as warranty registers it (the model of a unit, a visit's checklist).
MODEL_CODE_MIN_LENGTH, MODEL_CODE_MAX_LENGTH = 1, 100

# A part number (inventory's catalogue key), wherever a part is named.
PART_NUMBER_MIN_LENGTH, PART_NUMBER_MAX_LENGTH = 1, 100

# A list's search (`?q=`, shared.search.Search): part of a code or a name; the pages cut any filter typed
# into an address at this length too.
SEARCH_MAX_LENGTH = 100

# An `Idempotency-Key` header (shared/idempotency.py), the keys the pages make for their forms included.
IDEMPOTENCY_KEY_MAX_LENGTH = 200

# A page of a list: `?limit=` (shared.deps.Limit).
PAGE_SIZE_MIN, PAGE_SIZE_MAX, PAGE_SIZE_DEFAULT = 1, 500, 50
