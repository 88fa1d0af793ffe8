"""`updatesrv publish --artifact windows=setup.exe` is refused, naming the known platforms,
and nothing is offered to any install."""

from __future__ import annotations

from click.testing import CliRunner

from updatesrv.cli import main


def test_publish_refuses_an_unknown_platform(app, api, product, live_server, tmp_path):
    setup = tmp_path / "setup.exe"
    setup.write_bytes(b"windows build" * 100)
    result = CliRunner().invoke(main, [
        "publish", "--server", live_server.url, "--token", api.token, "--product", "ledgerly",
        "--version", "2.0.1", "--artifact", f"windows={setup}"], env={"CI": "true"})
    assert result.exit_code != 0
    assert "400" in result.output and "no platform 'windows'" in result.output
    assert "Did you mean windows-x86_64" in result.output
    check = api.client.get("/api/v1/products/ledgerly/check?version=1.0&platform=windows-x86_64")
    assert check.json["update"] is None
