"""Imports every domain's models so metadata (and Alembic autogenerate) sees all tables."""

from .accounts.models import (
    ApiToken,
    ApiTokenProduct,
    ConsoleSession,
    Invitation,
    LoginThrottle,
    Membership,
    PasswordReset,
    RecoveryCode,
    SignInEvent,
    User,
    Vendor,
)
from .audit.models import AuditEvent
from .db import Base
from .deltas.models import Delta
from .feedback.models import FeedbackMessage, FeedbackVote
from .notices.models import Notice, NoticeUpdate
from .outbox.models import OutboxEvent, OutboxMessage
from .products.models import Product, SigningKey
from .ratelimit.models import RateWindow
from .reach.models import NoticeReach
from .releases.models import Artifact, Release
from .reports.models import FailureGroup, FailureInstall, FailureReportDay
from .rollouts.models import EmergencyStop, RampStep
from .stats.models import CheckCount, InstallSeen
from .subscriptions.models import ConfirmationGate, Subscription
from .webhooks.models import Webhook

__all__ = [
           "ApiToken",
           "ApiTokenProduct",
           "Artifact",
           "AuditEvent",
           "Base",
           "CheckCount",
           "ConfirmationGate",
           "ConsoleSession",
           "Delta",
           "EmergencyStop",
           "FailureGroup",
           "FailureInstall",
           "FailureReportDay",
           "FeedbackMessage",
           "FeedbackVote",
           "InstallSeen",
           "Invitation",
           "LoginThrottle",
           "Membership",
           "Notice",
           "NoticeReach",
           "NoticeUpdate",
           "OutboxEvent",
           "OutboxMessage",
           "PasswordReset",
           "Product",
           "RampStep",
           "RateWindow",
           "RecoveryCode",
           "Release",
           "SignInEvent",
           "SigningKey",
           "Subscription",
           "User",
           "Vendor",
           "Webhook",
]
