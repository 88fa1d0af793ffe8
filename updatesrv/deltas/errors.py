from __future__ import annotations


class DeltaError(Exception):
    """A patch could not be built (a file missing from storage, a patch that does not
    rebuild the new file); the row records it and the full file stays the only offer."""
