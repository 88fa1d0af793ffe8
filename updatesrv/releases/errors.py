from ..errors import Conflict, InvalidInput, NotFound


class ReleaseNotFound(NotFound):
    pass


class VersionExists(Conflict):
    pass


class ArtifactImmutable(Conflict):
    pass


class BadSignature(InvalidInput):
    pass


class DirectUploadUnsupported(Conflict):
    slug = "direct-upload-unsupported"
