"""Imports every domain's models so metadata (and Alembic autogenerate) sees all tables."""

from .accounts.models import ApiToken, Invitation, LoginThrottle, Membership, User, Vendor
from .audit.models import AuditEvent
from .db import Base
from .notices.models import Notice, NoticeUpdate
from .products.models import Product, SigningKey
from .releases.models import Artifact, Release
from .rollouts.models import EmergencyStop, RampStep
from .stats.models import CheckCount, InstallSeen

__all__ = ["ApiToken", "Artifact", "AuditEvent", "Base", "CheckCount", "EmergencyStop",
           "InstallSeen", "Invitation", "LoginThrottle", "Membership", "Notice", "NoticeUpdate",
           "Product", "RampStep", "Release", "SigningKey", "User", "Vendor"]
