"""Client for updatesrv: "is there an update for me, and which known issues affect my
version?" Small on purpose, safe to embed: every call has a timeout, every failure is an
``UpdateCheckError``, and ``check_for_updates`` never raises at all."""

from ._client import UpdateClient, check_for_updates, default_platform
from ._models import CheckResult, Delta, Installed, Notice, Update
from .errors import (
    DownloadError,
    IntegrityError,
    NetworkError,
    ProductNotFound,
    RequestRejected,
    ServerError,
    SignatureError,
    StaleAnswerError,
    UpdateCheckError,
)
from .launcher import run_guarded

__all__ = [
    "CheckResult",
    "Delta",
    "DownloadError",
    "Installed",
    "IntegrityError",
    "NetworkError",
    "Notice",
    "ProductNotFound",
    "RequestRejected",
    "ServerError",
    "SignatureError",
    "StaleAnswerError",
    "Update",
    "UpdateCheckError",
    "UpdateClient",
    "check_for_updates",
    "default_platform",
    "run_guarded",
]
__version__ = "0.1.0"
