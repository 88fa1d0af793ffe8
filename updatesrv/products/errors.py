from ..errors import Conflict, NotFound


class ProductExists(Conflict):
    pass


class ProductNotFound(NotFound):
    pass
