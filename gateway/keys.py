"""API keys: random, shown once, stored as a SHA-256 hash, revocable at once.

Keys carry 256 random bits, so a fast hash is enough (no password stretching
needed), and the lookup by hash stays one indexed read per request.
"""

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from gateway.models import ApiKey
from shared import errors, pagination
from shared.context import Caller

BOOTSTRAP_ID = "bootstrap"
# last_used_at is written at most this often per key and process: a write per
# request would serialise every read on SQLite.
LAST_USED_RESOLUTION = timedelta(seconds=60)


class ApiKeyNotFound(errors.NotFound):
    code, title = "api_key_not_found", "No such API key"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_raw_key() -> str:
    return "ak_" + secrets.token_urlsafe(32)


def normalise_warehouses(codes: list[str] | None) -> str:
    return ",".join(sorted({c.strip().upper() for c in codes or [] if c.strip()}))


def create(session: Session, *, name: str, role: str, warehouses: list[str] | None, now: datetime):
    raw = new_raw_key()
    key = ApiKey(
        id=uuid.uuid4().hex,
        name=name,
        role=role,
        warehouses=normalise_warehouses(warehouses) if role == "warehouse" else "",
        key_hash=hash_key(raw),
        created_at=now,
    )
    session.add(key)
    session.flush()
    return key, raw


def list_keys(session: Session, *, after: str | None, limit: int) -> list[ApiKey]:
    query = pagination.keyset(select(ApiKey), ApiKey.id, after=after, limit=limit)
    return list(session.scalars(query))


def revoke(session: Session, *, key_id: str, now: datetime) -> None:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise ApiKeyNotFound(f"No API key with id {key_id}")
    if key.revoked_at is None:
        key.revoked_at = now


# Built once: constructing the expression per request cost more than running it.
_ACTIVE_KEY = select(ApiKey.id, ApiKey.role, ApiKey.warehouses).where(
    ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None)
)


class Authenticator:
    def __init__(self, db, admin_key: str, clock) -> None:
        self.db = db
        self.admin_hash = hash_key(admin_key)
        self.clock = clock
        self.last_written: dict[str, datetime] = {}

    def authenticate(self, raw: str | None) -> Caller | None:
        if not raw:
            return None
        digest = hash_key(raw)
        if hmac.compare_digest(digest, self.admin_hash):
            return Caller(role="admin", key_id=BOOTSTRAP_ID)
        with self.db.read_engine.connect() as conn:
            row = conn.execute(_ACTIVE_KEY, {"key_hash": digest}).first()
        if row is None:
            return None
        self._touch(row.id)
        warehouses = frozenset(w for w in row.warehouses.split(",") if w)
        return Caller(role=row.role, key_id=row.id, warehouses=warehouses)

    def _touch(self, key_id: str) -> None:
        now = self.clock.now()
        last = self.last_written.get(key_id)
        if last is not None and now - last < LAST_USED_RESOLUTION:
            return
        self.last_written[key_id] = now
        with self.db.transaction() as session:
            session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
