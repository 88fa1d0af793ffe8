from ..errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized


class VendorExists(Conflict):
    pass


class UserExists(Conflict):
    pass


class BadCredentials(Unauthorized):
    pass


class RoleTooLow(Forbidden):
    pass


__all__ = ["BadCredentials", "InvalidInput", "NotFound", "RoleTooLow", "UserExists",
           "VendorExists"]
