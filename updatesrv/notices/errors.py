from ..errors import Conflict, NotFound


class NoticeNotFound(NotFound):
    pass


class NoticeIdTaken(Conflict):
    pass
