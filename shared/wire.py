"""Wire fields and models more than one service takes, written once; their limits come from shared/contracts."""

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from shared.contracts import common

# The claim's certificate is warranty's wire model; billing takes it with a repair and passes it on unchanged.
from shared.contracts.warranty import ClaimCertificate  # noqa: F401

SERIAL_PATTERN = re.compile(common.SERIAL_PATTERN)
SERIAL_RULE = f"letters, digits and '-', {common.SERIAL_MIN_CHARS} to {common.SERIAL_MAX_CHARS} characters"


def normalise_serial(value: str) -> str:
    serial = value.strip().upper()
    if not SERIAL_PATTERN.match(serial):
        raise ValueError(f"a serial number is {SERIAL_RULE}")
    return serial


Serial = Annotated[str, Field(max_length=common.SERIAL_MAX_LENGTH), AfterValidator(normalise_serial)]

PHONE_PATTERN = re.compile(common.PHONE_PATTERN)


def normalise_phone(value: str) -> str:
    """A phone number as typed, trimmed; refused unless it is common.PHONE_PATTERN."""
    phone = value.strip()
    if not PHONE_PATTERN.match(phone):
        raise ValueError("a phone number is digits, spaces, '-' and brackets, with an optional leading '+'")
    return phone


# A phone number, wherever one is taken.
Phone = Annotated[str, Field(max_length=common.PHONE_MAX_LENGTH), AfterValidator(normalise_phone)]

