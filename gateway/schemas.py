from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from shared.types import StrictModel

Role = Literal["admin", "station", "warehouse", "billing", "desk", "metrics"]


# PostgreSQL refuses NUL in text: refused here as a 422, not met there as a 500.
NO_NUL = r"^[^\x00]*$"
WAREHOUSE_CODE = r"^\s*[A-Za-z0-9][A-Za-z0-9._/-]{0,39}\s*$"  # as inventory writes its codes; never a comma


class ApiKeyCreate(StrictModel):
    role: Role
    name: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    warehouses: list[Annotated[str, Field(pattern=WAREHOUSE_CODE)]] | None = Field(default=None, max_length=100)


class ApiKeyRead(BaseModel):
    id: str
    name: str
    role: Role
    warehouses: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool
    revoked_at: datetime | None

    @classmethod
    def of(cls, key) -> "ApiKeyRead":
        return cls(
            id=key.id, name=key.name, role=key.role,
            warehouses=[w for w in key.warehouses.split(",") if w],
            created_at=key.created_at, last_used_at=key.last_used_at,
            revoked=key.revoked_at is not None, revoked_at=key.revoked_at,
        )


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The key itself, shown this once only")


class ApiKeyPage(BaseModel):
    items: list[ApiKeyRead]
    next_cursor: str | None
