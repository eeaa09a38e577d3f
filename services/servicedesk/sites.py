"""Sites of the organisation (网点): the central warehouse, service centres and repair stations.

A code is compared case-insensitively and stored upper-case. A repair station belongs to a service
centre; a service centre may name the central warehouse as its parent; the central warehouse has
none. A site is closed, never deleted: the tickets dispatched to it keep pointing at it.

Who can take work: an open repair station, or an open service centre (the centres have their own
repair staff, domain.md section 7); never the central warehouse, never a closed site.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.servicedesk import errors, trail, webhooks
from services.servicedesk.models import Site
from shared import context, pagination, search

TAKES_WORK = ("repair_station", "service_center")
PARENT_KIND = {"repair_station": ("service_center",), "service_center": ("central",), "central": ()}
FIELDS = ("name", "kind", "parent", "region", "address", "phone", "webhook", "status")


def read(site: Site) -> dict:
    return {
        "code": site.code, "name": site.name, "kind": site.kind, "parent": site.parent, "region": site.region,
        "address": site.address, "phone": site.phone, "status": site.status,
        "webhook": {"kind": site.webhook_kind, "url": site.webhook_url} if site.webhook_url else None,
    }


def get(session: Session, code: str) -> Site:
    site = session.get(Site, code.strip().upper())
    if site is None:
        raise errors.SiteNotFound(f"No site {code}")
    return site


def _check(session: Session, *, kind: str, parent: str | None, webhook: dict | None, allow_private: bool,
           code: str) -> None:
    problems = []
    if parent is not None:
        found = session.get(Site, parent)
        if parent == code:
            problems.append(("parent", "a site cannot be its own parent"))
        elif found is None or found.kind not in PARENT_KIND[kind]:
            wanted = {"repair_station": "a service centre", "service_center": "the central warehouse"}
            problems.append(("parent", f"the parent of a {kind} is {wanted.get(kind, 'nothing')}"
                                       + ("" if found is None else f", not a {found.kind}")))
    elif kind == "repair_station":
        problems.append(("parent", "a repair station belongs to a service centre"))
    if webhook is not None:
        reason = webhooks.url_problem(webhook["url"], allow_private=allow_private)
        if reason:
            problems.append(("webhook.url", reason))
    if problems:
        raise errors.invalid_many(problems)


def exists(session: Session, code: str) -> bool:
    return session.get(Site, code) is not None


def create(session: Session, *, site_in, caller: context.Caller, allow_private: bool, now: datetime) -> Site:
    if exists(session, site_in.code):
        raise errors.SiteExists(f"Site {site_in.code} exists")
    webhook = site_in.webhook.model_dump() if site_in.webhook else None
    _check(session, kind=site_in.kind, parent=site_in.parent, webhook=webhook, allow_private=allow_private,
           code=site_in.code)
    site = Site(code=site_in.code, name=site_in.name, kind=site_in.kind, parent=site_in.parent,
                region=site_in.region, address=site_in.address, phone=site_in.phone,
                webhook_kind=webhook["kind"] if webhook else None, webhook_url=webhook["url"] if webhook else None,
                status=site_in.status, created_at=now, updated_at=now)
    return trail.created(session, caller, site, object_type="site", key="code", now=now, read=read)


def update(session: Session, site: Site, *, changes: dict, caller: context.Caller, allow_private: bool,
           now: datetime) -> Site:
    before = read(site)
    for name in ("name", "region", "address", "phone", "status"):
        if changes.get(name) is not None:
            setattr(site, name, changes[name])
    if "parent" in changes:
        site.parent = changes["parent"]
    if "webhook" in changes:
        webhook = changes["webhook"]
        site.webhook_kind, site.webhook_url = (webhook["kind"], webhook["url"]) if webhook else (None, None)
    _check(session, kind=site.kind, parent=site.parent,
           webhook={"url": site.webhook_url} if "webhook" in changes and site.webhook_url else None,
           allow_private=allow_private, code=site.code)
    site.updated_at = now
    session.flush()
    trail.record(session, caller, action="update", object_type="site", object_id=site.code, now=now,
                 before=before, after=read(site))
    return site


def list_sites(session: Session, *, region: str | None, kind: str | None, status: str | None, q: str | None,
               after: str | None, limit: int) -> list[Site]:
    query = select(Site)
    if region:
        query = query.where(Site.region == region.strip())
    if kind:
        query = query.where(Site.kind == kind)
    if status:
        query = query.where(Site.status == status)
    query = search.contains(query, (Site.code, Site.name), q)
    return list(session.scalars(pagination.keyset(query, Site.code, after=after, limit=limit)))


def taking_work(session: Session, code: str, *, field: str = "station") -> Site:
    """The open station or centre `code` names; 422 `unknown_station` otherwise."""
    site = session.get(Site, code.strip().upper())
    if site is None or site.status != "open" or site.kind not in TAKES_WORK:
        why = "no such site" if site is None else (
            "it is closed" if site.status != "open" else f"a {site.kind} takes no tickets")
        raise errors.UnknownStation(f"{code.strip().upper()} cannot take a ticket: {why}", field=field)
    return site


def covered_by(session: Session, code: str) -> tuple[str, ...]:
    """The stations a station-bound caller works for: its own, and a centre's repair stations too."""
    code = code.strip().upper()
    children = session.scalars(select(Site.code).where(Site.parent == code)).all()
    return (code, *children)
