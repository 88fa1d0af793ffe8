"""The README's quick-start client command, as `updatesrv init --demo` prints it, shows the
demo notice on any machine (whatever platform runs the test)."""

from __future__ import annotations

import shlex
import subprocess
import sys

from updatesrv.db import db, write_intent
from updatesrv.demo import browsable, describe_demo, seed_demo


def test_printed_client_command_shows_the_demo_notice(app, live_server, tmp_path):
    with app.app_context(), write_intent():
        # As `make run BIND=...` passes it: the hints name the address the server binds.
        bind = live_server.url.removeprefix("http://")
        description = describe_demo(seed_demo(db.session, app), bind)
    [line] = [x for x in description.splitlines() if "-m updatesrv_client" in x]
    command = shlex.split(line)
    assert live_server.url in command
    assert command[0] == sys.executable  # the interpreter that has the client installed
    result = subprocess.run([*command, "--state-dir", str(tmp_path / "state")],
                            capture_output=True, text=True, timeout=60)
    assert "Licence expired" in result.stdout, result.stdout + result.stderr


def test_hints_name_a_browsable_address_for_every_bind():
    assert browsable("127.0.0.1:5000") == "127.0.0.1:5000"
    assert browsable("0.0.0.0:8080") == "127.0.0.1:8080"
    assert browsable(":8080") == "127.0.0.1:8080"
    assert browsable("[::]:8080") == "[::1]:8080"
    assert browsable("localhost:9000") == "localhost:9000"
    assert browsable("unix:/run/updatesrv.sock") == "127.0.0.1:5000"
