"""Issue 8: whatever a hostile server answers, the client raises an UpdateCheckError (never
anything else), within its deadline and without reading an unbounded body."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from updatesrv_client import (
    IntegrityError,
    NetworkError,
    ServerError,
    UpdateCheckError,
    UpdateClient,
    check_for_updates,
)
from updatesrv_client._models import MAX_CHECK_INTERVAL, Update

from .hostile import Scripted, answer, drip, endless

WIN = "windows-x86_64"


def client(server, tmp_path, **kw):
    return UpdateClient(server.url, "ledgerly", "2.0.0", platform=WIN,
                        state_dir=tmp_path / "state", **kw)


def test_an_honest_answer_passes(hostile, tmp_path):
    hostile.json(answer())
    result = client(hostile, tmp_path).check()
    assert result.update is not None and result.update.version == "2.0.1"


@pytest.mark.parametrize("body", [
    b"[" * 200_000 + b"]" * 200_000,                       # RecursionError in json
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    json.dumps(answer()).replace('3600', 'Infinity').encode(),  # OverflowError in int()
    json.dumps(answer()).replace('3600', 'NaN').encode(),
    json.dumps(answer()).replace('3600', '-5').encode(),
    json.dumps(answer()).replace('3600', '"soon"').encode(),
    b"\xff\xfe not utf-8",
    b"<html>hello</html>",
    b"[]",
    json.dumps({**answer(), "notices": "abc"}).encode(),
    json.dumps({**answer(), "notices": [{"id": 1}]}).encode(),
    json.dumps({**answer(), "installed": [1, 2]}).encode(),
    json.dumps({**answer(), "update": {"version": "3", "download": {
        "url": "x", "size": 1.5, "sha256": "ab" * 32}}}).encode(),
    json.dumps({**answer(), "update": {"version": "3", "download": {
        "url": "x", "size": 10, "sha256": "not hex"}}}).encode(),
    json.dumps({**answer(), "update": {"version": "3", "download": {
        "url": "x", "size": True, "sha256": "ab" * 32}}}).encode(),
])
def test_malformed_answers_are_server_errors(hostile, tmp_path, body):
    hostile.always(Scripted(200, {"Content-Type": "application/json"}, body))
    with pytest.raises(ServerError):
        client(hostile, tmp_path).check()
    assert check_for_updates(hostile.url, "ledgerly", "2.0.0", platform=WIN) is None


def test_a_huge_interval_is_capped_to_a_week(hostile, tmp_path):
    for huge in ("1e15", "1e400", str(10**40)):
        hostile.always(Scripted(200, {}, json.dumps(answer()).replace("3600", huge).encode()))
        result = client(hostile, tmp_path).check(force=True)
        assert result.check_again_after == MAX_CHECK_INTERVAL


def test_control_characters_never_reach_the_app(hostile, tmp_path):
    notice = {"id": "N-1", "revision": 1, "title": "Bad\x1b[2J\x0cthing", "severity": "major",
              "summary": "line one\nline\ttwo\x07"}
    hostile.json({**answer(), "notices": [notice]})
    (shown,) = client(hostile, tmp_path).check().notices
    assert "\x1b" not in shown.title and "\x0c" not in shown.title and "Bad" in shown.title
    assert shown.summary.startswith("line one\nline\ttwo") and "\x07" not in shown.summary


def test_a_declared_huge_body_is_refused_unread(hostile, tmp_path):
    big = b" " * (2 * 1024 * 1024)
    hostile.always(Scripted(200, {}, big))
    with pytest.raises(ServerError, match="larger than"):
        client(hostile, tmp_path).check()


def test_an_endless_body_is_cut_at_the_cap(hostile, tmp_path):
    hostile.always(Scripted(200, {}, endless()))
    with pytest.raises(ServerError, match="larger than"):
        client(hostile, tmp_path).check()
    # The client hung up after about a MiB; what the kernel buffered is all the server sent.
    assert hostile.sent < 64 * 1024 * 1024


def test_an_endless_error_body_is_cut_too(hostile, tmp_path):
    hostile.always(Scripted(500, {}, endless()))
    with pytest.raises(ServerError):
        client(hostile, tmp_path).check()


def test_byte_dripping_is_cut_at_the_whole_call_deadline(hostile, tmp_path):
    hostile.always(Scripted(200, {}, drip(json.dumps(answer()).encode(), 0.2)))
    started = time.monotonic()
    with pytest.raises(NetworkError, match=r"within 1\.5 s"):
        client(hostile, tmp_path, timeout=(5, 15), deadline=1.5).check()
    # Each byte came well within the 15 s read timeout; only the deadline ends the call.
    assert time.monotonic() - started < 10


def test_dripping_headers_are_cut_at_the_deadline_too(hostile, tmp_path):
    head = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"x" * 100 + b"\r\n\r\n"
    hostile.always(Scripted(body=drip(head, 0.2), raw=True))
    started = time.monotonic()
    with pytest.raises(NetworkError, match="within 1 s"):
        client(hostile, tmp_path, deadline=1.0).check()
    assert time.monotonic() - started < 10


def test_a_cross_origin_redirect_is_refused(hostile, elsewhere, tmp_path):
    elsewhere.json(answer(offer="9.9"))
    hostile.always(Scripted(302, {"Location": elsewhere.url + "/api/v1/products/ledgerly/check"
                                  "?version=2.0.0"}))
    with pytest.raises(ServerError, match="another origin"):
        client(hostile, tmp_path).check()
    assert elsewhere.requests == []


def test_a_same_origin_redirect_is_followed(hostile, tmp_path):
    def script(path, headers):
        if path.startswith("/moved"):
            return Scripted(200, {}, json.dumps(answer()).encode())
        return Scripted(308, {"Location": "/moved/check"})
    hostile.script = script
    assert client(hostile, tmp_path).check().update is not None


def test_a_redirect_loop_ends(hostile, tmp_path):
    hostile.always(Scripted(302, {"Location": "/again"}))
    with pytest.raises(ServerError, match="redirects"):
        client(hostile, tmp_path).check()


def test_the_download_has_a_whole_call_deadline(hostile, tmp_path):
    hostile.always(Scripted(200, {}, drip(b"x" * 100, 0.2)))
    update = Update(version="2.0.1", channel="stable", critical=False, notes="", notes_url="",
                    published_at=None, download_url=hostile.url + "/f.exe", size=100,
                    sha256="ab" * 32, signature=None)
    with pytest.raises(NetworkError, match="did not finish"):
        client(hostile, tmp_path).download(update, tmp_path / "dl", deadline=1.0)


def test_an_empty_file_is_a_clear_integrity_error(hostile, tmp_path):
    """Issue 9: not ENOENT on the .part file."""
    hostile.always(Scripted(200, {}, b""))
    update = Update(version="2.0.1", channel="stable", critical=False, notes="", notes_url="",
                    published_at=None, download_url=hostile.url + "/f.exe", size=0,
                    sha256="e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                    signature=None)
    with pytest.raises(IntegrityError, match="empty file"):
        client(hostile, tmp_path).download(update, tmp_path / "dl")
    assert not (tmp_path / "dl").exists() or list((tmp_path / "dl").iterdir()) == []


@pytest.mark.parametrize("command", ["notices", "check"])
def test_the_cli_never_prints_a_traceback(hostile, tmp_path, command):
    hostile.always(Scripted(200, {}, b"[" * 200_000))
    done = subprocess.run(
        [sys.executable, "-m", "updatesrv_client", command, "--server", hostile.url,
         "--product", "ledgerly", "--version", "2.0.0", "--platform", WIN],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "update check failed" in done.stderr


def test_every_failure_is_an_update_check_error(hostile, tmp_path):
    """The promise in one place: whatever the script, only UpdateCheckError escapes."""
    scripts = [Scripted(200, {}, b"\x00" * 10), Scripted(204), Scripted(301),
               Scripted(302, {"Location": "ftp://elsewhere/"}),
               Scripted(200, {"Content-Length": "abc"}, b"{}", length=False),
               Scripted(200, {"Content-Encoding": "gzip"}, b"not gzip")]
    for scripted in scripts:
        hostile.always(scripted)
        with pytest.raises(UpdateCheckError):
            client(hostile, tmp_path).check(force=True)
