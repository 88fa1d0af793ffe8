from __future__ import annotations


class UpdateCheckError(Exception):
    """Base of every error this library raises; catch this one to never crash."""


class NetworkError(UpdateCheckError):
    """The server could not be reached (DNS, refused connection, timeout, TLS)."""


class ServerError(UpdateCheckError):
    """The server answered with a 5xx or with something that is not the expected JSON."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RequestRejected(UpdateCheckError):
    """The server refused the request (4xx); ``detail`` is its explanation."""

    def __init__(self, message: str, status: int, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class ProductNotFound(RequestRejected):
    pass


class DownloadError(UpdateCheckError):
    """A download failed; no partial or unverified file is left at the destination."""


class IntegrityError(DownloadError):
    """The downloaded bytes do not match the advertised size or SHA-256."""


class SignatureError(DownloadError):
    """Public keys are configured and the file's Ed25519 signature is missing or wrong."""
