from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from shared.contracts import people as contract
from shared.types import StrictModel

Role = Literal["admin", "station", "warehouse", "billing", "desk", "metrics"]
PersonRole = Literal["admin", "desk", "station", "warehouse", "billing", "manager"]


NO_NUL = contract.NO_NUL_PATTERN
WAREHOUSE_CODE = contract.WAREHOUSE_CODE_PATTERN
SITE_CODE = contract.SITE_CODE_PATTERN
LOGIN = contract.LOGIN_PATTERN
WarehouseCodes = list[Annotated[str, Field(pattern=WAREHOUSE_CODE)]]


class ApiKeyCreate(StrictModel):
    role: Role
    name: str = Field(min_length=contract.KEY_NAME_MIN_LENGTH, max_length=contract.KEY_NAME_MAX_LENGTH, pattern=NO_NUL)
    warehouses: WarehouseCodes | None = Field(
        default=None, max_length=contract.WAREHOUSES_MAX_ITEMS,
        description="A warehouse key writes only at these; absent: not limited (an empty list is refused)")
    station: Annotated[str, Field(pattern=SITE_CODE)] | None = Field(
        default=None, description="A station key's site, like a person's: it sees that station's tickets only")


class ApiKeyRead(BaseModel):
    id: str
    name: str
    role: Role
    warehouses: list[str] = Field(description="Where a warehouse key may write; empty: not limited")
    station: str | None = Field(description="The site a station key is bound to; null: not bound")
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool
    revoked_at: datetime | None

    @classmethod
    def of(cls, key) -> "ApiKeyRead":
        return cls(
            id=key.id, name=key.name, role=key.role,
            warehouses=[w for w in key.warehouses.split(",") if w], station=key.station or None,
            created_at=key.created_at, last_used_at=key.last_used_at,
            revoked=key.revoked_at is not None, revoked_at=key.revoked_at,
        )


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The key itself, shown this once only")


class ApiKeyPage(BaseModel):
    items: list[ApiKeyRead]
    next_cursor: str | None


DisplayName = Annotated[str, Field(min_length=contract.DISPLAY_NAME_MIN_LENGTH,
                                   max_length=contract.DISPLAY_NAME_MAX_LENGTH, pattern=NO_NUL)]
Phone = Annotated[str, Field(max_length=contract.PHONE_MAX_LENGTH, pattern=contract.PHONE_PATTERN)]


class UserCreate(StrictModel):
    login: Annotated[str, Field(pattern=LOGIN, description="Letters, digits and . _ @ -; case does not matter")]
    display_name: DisplayName
    phone: Phone | None = None
    role: PersonRole
    station: Annotated[str, Field(pattern=SITE_CODE)] | None = Field(
        default=None, description="A station person's site (a repair station or a service centre)")
    warehouses: WarehouseCodes | None = Field(
        default=None, max_length=contract.WAREHOUSES_MAX_ITEMS,
        description="A warehouse person's warehouses; absent: not limited")


class UserUpdate(StrictModel):
    """Only these: a password or a login is never changed here (unknown fields are a 422)."""

    display_name: DisplayName | None = None
    phone: Phone | None = None
    role: PersonRole | None = None
    station: Annotated[str, Field(pattern=SITE_CODE)] | None = None
    warehouses: WarehouseCodes | None = Field(default=None, max_length=contract.WAREHOUSES_MAX_ITEMS)
    active: bool | None = None


class UserRead(BaseModel):
    id: int
    login: str
    display_name: str
    phone: str | None
    role: PersonRole
    station: str | None
    warehouses: list[str] | None = Field(description="A warehouse person's warehouses; null: not limited")
    active: bool
    must_change_password: bool
    locked: bool
    created_at: datetime
    updated_at: datetime
    last_sign_in_at: datetime | None

    @classmethod
    def of(cls, user, now: datetime) -> "UserRead":
        return cls(
            id=user.id, login=user.login, display_name=user.display_name, phone=user.phone or None,
            role=user.role, station=user.station or None,
            warehouses=[w for w in user.warehouses.split(",") if w] or None, active=user.active,
            must_change_password=user.must_change_password,
            locked=user.locked_until is not None and user.locked_until > now,
            created_at=user.created_at, updated_at=user.updated_at, last_sign_in_at=user.last_sign_in_at,
        )


class UserCreated(UserRead):
    one_time_password: str = Field(description="Shown this once; to be changed at the first sign-in")


class UserPage(BaseModel):
    items: list[UserRead]
    next_cursor: str | None


class OneTimePassword(BaseModel):
    one_time_password: str = Field(description="Shown this once; to be changed at the next sign-in")
