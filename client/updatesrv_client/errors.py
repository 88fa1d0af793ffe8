from __future__ import annotations


class UpdateCheckError(Exception):
    """Base of every error this library raises; catch this one to never crash."""


class NetworkError(UpdateCheckError):
    """The server could not be reached (DNS, refused connection, timeout, TLS), or did not
    answer within the call's deadline."""


class ServerError(UpdateCheckError):
    """The server answered with a 5xx or with something that is not the expected answer
    (not JSON, too large, badly formed, redirected to another origin)."""

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


class SignatureError(UpdateCheckError):
    """Keys are configured and an answer or a file is not signed by one of them: unsigned,
    badly signed, or signed for another product, version, channel or platform."""


class StaleAnswerError(UpdateCheckError):
    """An authentic answer that must not be used: expired, older than one already seen
    (a lower catalog serial), or offering a version that is not newer than the installed one."""


class DownloadError(UpdateCheckError):
    """A download failed; no partial or unverified file is left at the destination."""


class IntegrityError(DownloadError):
    """The downloaded bytes do not match the advertised size or SHA-256, or the file is empty."""


class FileSignatureError(SignatureError, DownloadError):
    """Vendor keys are configured and the file's or its manifest's signature is missing,
    wrong, or names another product, version or platform. Both a SignatureError and a
    DownloadError."""
