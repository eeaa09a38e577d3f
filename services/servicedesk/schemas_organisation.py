"""Wire shapes of the organisation (domain.md section 7): sites, technicians, messages to stations."""

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StrictBool

from services.servicedesk.schemas import Phone, examples
from shared.contracts import servicedesk as contract
from shared.types import StrictModel, Text

CODE_PATTERN = re.compile(contract.SITE_CODE_PATTERN)


def site_code(value: str) -> str:
    """Codes are compared case-insensitively and stored upper-case."""
    code = value.strip().upper()
    if not CODE_PATTERN.match(code):
        raise ValueError("a site code is letters, digits, '-' and '_', 1 to 40 characters")
    return code


def _region(value: str) -> str:
    region = value.strip()
    if not region:
        raise ValueError("a region is not empty")
    return region


SiteCode = Annotated[str, Field(min_length=contract.SITE_CODE_MIN_LENGTH, max_length=contract.SITE_CODE_MAX_LENGTH),
                     AfterValidator(site_code)]
SiteKind = contract.SiteKind
SiteStatus = contract.SiteStatus
Region = Annotated[str, Field(min_length=contract.REGION_MIN_LENGTH, max_length=contract.REGION_MAX_LENGTH),
                   AfterValidator(_region)]
Address = Annotated[str, Field(min_length=contract.ADDRESS_MIN_LENGTH, max_length=contract.ADDRESS_MAX_LENGTH)]
Skill = contract.Skill
Skills = Annotated[list[Skill], Field(max_length=contract.SKILLS_MAX_ITEMS)]


class WebhookIn(StrictModel):
    kind: contract.WebhookKind
    url: Annotated[str, Field(min_length=contract.WEBHOOK_URL_MIN_LENGTH, max_length=contract.WEBHOOK_URL_MAX_LENGTH)]


class SiteCreate(StrictModel):
    model_config = examples({
        "code": "ST-JINAN-07", "name": "济南第七维修站", "kind": "repair_station", "parent": "SC-JINAN",
        "region": "shandong", "address": "济南市历下区解放路 105 号", "phone": "0531-8888 0007",
        "webhook": {"kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=demo"},
    })

    code: SiteCode
    name: Text
    kind: SiteKind
    parent: SiteCode | None = None
    region: Region
    address: Address
    phone: Phone
    webhook: WebhookIn | None = None
    status: SiteStatus = "open"


class SiteUpdate(StrictModel):
    model_config = examples({"phone": "0531-8888 0008", "status": "closed"})

    name: Text | None = None
    parent: SiteCode | None = None
    region: Region | None = None
    address: Address | None = None
    phone: Phone | None = None
    webhook: WebhookIn | None = Field(default=None, description="null removes the webhook")
    status: SiteStatus | None = None


class WebhookRead(BaseModel):
    kind: str
    url: str


class SiteRead(BaseModel):
    code: str
    name: str
    kind: SiteKind
    parent: str | None
    region: str
    address: str
    phone: str
    webhook: WebhookRead | None
    status: SiteStatus


class SitePage(BaseModel):
    items: list[SiteRead]
    next_cursor: str | None


class TechnicianCreate(StrictModel):
    model_config = examples({"name": "王磊", "phone": "13800000007", "station": "ST-JINAN-07",
                             "skills": ["cooling", "electrical"]})

    name: Text
    phone: Phone
    station: SiteCode
    skills: Skills = Field(default_factory=list)
    active: StrictBool = True


class TechnicianUpdate(StrictModel):
    model_config = examples({"station": "ST-JINAN-08", "active": False})

    name: Text | None = None
    phone: Phone | None = None
    station: SiteCode | None = None
    skills: Skills | None = None
    active: StrictBool | None = None


class TechnicianRead(BaseModel):
    id: int
    name: str
    phone: str
    station: str
    skills: list[str]
    active: bool


class TechnicianPage(BaseModel):
    items: list[TechnicianRead]
    next_cursor: str | None


class StationOffer(SiteRead):
    """A station that can take a ticket, with its active technicians."""

    technicians: list[TechnicianRead]
    in_region: bool


class StationOffers(BaseModel):
    region: str | None = Field(description="The unit's region, when the unit is registered and warranty answered")
    items: list[StationOffer]


class NotificationRead(BaseModel):
    id: int
    ticket_id: int
    site: str
    kind: contract.NotificationKind
    status: contract.NotificationStatus
    attempts: int
    last_error: str | None = None
    created_at: datetime
    sent_at: datetime | None = None


class NotificationPage(BaseModel):
    items: list[NotificationRead]
    next_cursor: str | None
