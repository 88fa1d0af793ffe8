from ..errors import NotFound


class NoticeNotFound(NotFound):
    pass
