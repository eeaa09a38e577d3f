"""Commitments: versions, never edited; a ticket keeps the version in force at its complete_at."""

from datetime import datetime

from sqlalchemy.orm import Session

from services.servicedesk import errors
from services.servicedesk.domain.commitments import Commitments, validate
from services.servicedesk.models import CommitmentVersion
from shared import db


def in_force(session: Session, *, at: datetime) -> CommitmentVersion:
    return db.in_force(session, CommitmentVersion, at, newer=CommitmentVersion.id,
                       missing=errors.NoCommitments(f"No commitments are in force at {at.isoformat()}"))


def of_version(session: Session, version_id: int) -> Commitments:
    cache = session.info.setdefault("commitments", {})
    if version_id not in cache:
        cache[version_id] = Commitments.from_json(session.get(CommitmentVersion, version_id).body)
    return cache[version_id]


def create(session: Session, *, commitments: Commitments, effective_from: datetime | None,
           now: datetime) -> CommitmentVersion:
    problems = validate(commitments)
    # A version dated in the past would not change tickets already completed (they keep theirs),
    # but the record of what was in force would lie.
    if effective_from is not None and effective_from < now:
        problems.append(("effective_from", "commitments cannot take effect in the past"))
    if problems:
        raise errors.invalid_many(problems)
    version = CommitmentVersion(effective_from=effective_from or now, body=commitments.to_json(), created_at=now)
    session.add(version)
    session.flush()
    return version


def read(version: CommitmentVersion) -> dict:
    return {"version": version.id, "effective_from": version.effective_from, **version.body}
