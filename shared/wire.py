"""Wire fields and models more than one service takes, written once; their limits come from shared/contracts."""

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StrictBool

from shared.contracts import common, warranty
from shared.types import StrictModel

SERIAL_PATTERN = re.compile(common.SERIAL_PATTERN)
SERIAL_RULE = f"letters, digits and '-', {common.SERIAL_MIN_CHARS} to {common.SERIAL_MAX_CHARS} characters"


def normalise_serial(value: str) -> str:
    serial = value.strip().upper()
    if not SERIAL_PATTERN.match(serial):
        raise ValueError(f"a serial number is {SERIAL_RULE}")
    return serial


Serial = Annotated[str, Field(max_length=common.SERIAL_MAX_LENGTH), AfterValidator(normalise_serial)]


# The certificate a claim is judged with; billing takes it with a repair and passes it on to warranty unchanged.
class ClaimCertificate(StrictModel):
    number: Annotated[str, Field(max_length=warranty.CERTIFICATE_NUMBER_MAX_LENGTH)]
    product_name: Annotated[str, Field(max_length=warranty.CERTIFICATE_PRODUCT_NAME_MAX_LENGTH)]
    model_code: Annotated[str, Field(max_length=warranty.CERTIFICATE_MODEL_CODE_MAX_LENGTH)]
    serial_number: Annotated[str, Field(max_length=warranty.CERTIFICATE_SERIAL_MAX_LENGTH)]
    altered: StrictBool = False
