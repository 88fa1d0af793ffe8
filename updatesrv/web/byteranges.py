"""Several byte ranges in one response (RFC 9110 14.6, multipart/byteranges), as
electron-updater's differential download asks for them. S3 servers answer a multi-range
request with the whole object, so for a bucket this server sends the parts itself, each read
with one ranged request to the storage."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Iterator

from flask import Response
from werkzeug.datastructures import Range

# More parts than any differential download asks for in one request; a longer list is
# answered with the whole file instead (RFC 9110 allows ignoring Range).
MAX_PARTS = 1000
# One range of RFC 9110 14.1.1: first-[last], or -suffix_length.
_RANGE_SPEC = re.compile(r"\d+-\d*|-(\d+)")


def without_empty_suffixes(value: str) -> str | None:
    """Werkzeug refuses a whole Range header that holds a suffix range of length 0
    (``bytes=-0``), which RFC 9110 allows and which selects nothing. Returns the ranges
    without those ('' when none is left: the set is unsatisfiable, a 416), or None when the
    header has no such range or is not a byte range set (handled as before)."""
    unit, sep, specs = value.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    kept, dropped = [], False
    for spec in (part.strip() for part in specs.split(",")):
        match = _RANGE_SPEC.fullmatch(spec)
        if match is None:
            if spec:  # RFC 9110 5.6.1: empty list elements are allowed and ignored
                return None
        elif match.group(1) is not None and int(match.group(1)) == 0:
            dropped = True
        else:
            kept.append(spec)
    return ",".join(kept) if dropped else None


def satisfiable_ranges(parsed: Range, length: int) -> list[tuple[int, int]]:
    """The (start, stop) byte offsets of each range that falls inside a ``length`` byte
    file, stop exclusive; a suffix range longer than the file is the whole file."""
    spans = []
    for begin, end in parsed.ranges:
        if begin < 0:
            start, stop = max(length + begin, 0), length
        else:
            start, stop = begin, min(end if end is not None else length, length)
        if start < stop:
            spans.append((start, stop))
    return spans


def multipart_byteranges(spans: list[tuple[int, int]], length: int, content_type: str,
                         read: Callable[[int, int], Iterable[bytes]]) -> Response:
    """A 206 multipart/byteranges response whose parts ``read(start, stop)`` streams."""
    boundary = uuid.uuid4().hex
    heads = [(f"--{boundary}\r\nContent-Type: {content_type}\r\n"
              f"Content-Range: bytes {start}-{stop - 1}/{length}\r\n\r\n").encode()
             for start, stop in spans]
    closing = f"--{boundary}--\r\n".encode()
    size = sum(len(h) + (stop - start) + 2 for h, (start, stop) in zip(heads, spans,
                                                                       strict=True))

    def body() -> Iterator[bytes]:
        for head, (start, stop) in zip(heads, spans, strict=True):
            yield head
            yield from read(start, stop)
            yield b"\r\n"
        yield closing

    response = Response(body(), status=206,
                        content_type=f"multipart/byteranges; boundary={boundary}")
    response.headers["Content-Length"] = str(size + len(closing))
    return response
