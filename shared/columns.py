"""Column groups that several services' tables declare alike, as declarative mixins.

A mixin's columns come after the class's own ones, as the migrations create them.
"""

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from shared.db import UtcDateTime


class Timestamps:
    """When a row was made and last changed (UTC), set by the use cases that write it."""

    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
