"""The StaffUser model."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from commerce.db import Base, TimestampMixin, one_of
from commerce.staff.permissions import ROLES


class StaffUser(TimestampMixin, Base):
    """A person who signs in to the back-office or dashboards."""

    __tablename__ = "staff_users"
    __table_args__ = (
        Index("uq_staff_users_email_lower", text("lower(email)"), unique=True),
        CheckConstraint(one_of("role", ROLES), name="role_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    # Flask-Login's user protocol, kept here so every face signs staff in the same way.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def can(self, permission: str) -> bool:
        """Whether this user's role grants `permission` ("resource.action")."""
        from commerce.staff.permissions import role_has

        return self.is_active and role_has(self.role, permission)

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"
