"""The documentation site: the generated reference pages cover every setting, command and API
operation, the site builds with --strict (broken links, missing anchors and pages left out of
the nav fail), and the README's links lead somewhere."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import click
import pytest

from updatesrv import settings
from updatesrv.cli import COMMANDS

ROOT = Path(__file__).resolve().parent.parent


def load_docsgen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docsgen", ROOT / "tools" / "docsgen.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["docsgen"] = module
    spec.loader.exec_module(module)
    return module


docsgen = load_docsgen()
SETTINGS = [name for name in vars(settings) if name.isupper()]


def test_every_setting_is_in_the_configuration_reference() -> None:
    page = docsgen.configuration_markdown()
    assert len(SETTINGS) > 20
    for name in SETTINGS:
        assert f"### `{name}` {{ #{name.lower()} }}" in page, name
        assert f"`UPDATESRV_{name}`" in page, name
    # The comment above a setting in settings.py is its description.
    assert "Login throttling keys on the client address" in page


def test_a_comment_describes_the_settings_that_follow_it(tmp_path: Path) -> None:
    source = tmp_path / "settings.py"
    source.write_text('"""Doc."""\n\nFIRST = 1\n# Shared by two.\nSECOND = "x"\nTHIRD = 2 * 3\n\n'
                      "FOURTH = None\nlower = 1\n")
    docstring, found = docsgen.read_settings(source)
    assert docstring == "Doc."
    assert [(s.name, s.default, s.comment) for s in found] == [
        ("FIRST", "1", ""), ("SECOND", '"x"', "Shared by two."),
        ("THIRD", "2 * 3", "Shared by two."), ("FOURTH", "None", "")]


def _command_paths(command: click.Command, prefix: str) -> list[str]:
    path = f"{prefix} {command.name}"
    if isinstance(command, click.Group):
        return [path, *(p for sub in command.commands.values()
                        for p in _command_paths(sub, path))]
    return [path]


def test_every_command_is_in_the_cli_reference() -> None:
    page = docsgen.cli_markdown()
    paths = [p for command in COMMANDS for p in _command_paths(command, "updatesrv")]
    assert "updatesrv db upgrade" in paths and "updatesrv publish" in paths
    for path in paths:
        assert f"### `{path}`" in page, path
        assert f"Usage: {path} " in page, path
    for sub in ("check", "notices", "launch"):
        assert f"usage: python -m updatesrv_client {sub} " in page, sub
    assert "--signing-key FILE" in page  # the options themselves, not only the names
    assert "default: this machine's platform" in page  # not the building machine's


def test_every_api_operation_is_in_the_api_reference() -> None:
    document = docsgen.served_openapi()
    page = docsgen.api_markdown(document)
    operations = [(method.upper(), path) for path, item in document["paths"].items()
                  for method in docsgen.HTTP_METHODS if method in item]
    assert len(operations) > 25
    for method, path in operations:
        assert f"### `{method} {path}`" in page, (method, path)
    for name in document["components"]["schemas"]:
        assert f"### {name} {{ #schema-{name.lower()} }}" in page, name


def test_an_unknown_generated_section_is_an_error() -> None:
    assert docsgen.expand("a\n<!-- generated: cli -->\nb").startswith("a\n## `updatesrv`")
    with pytest.raises(ValueError, match="unknown generated section 'nope'"):
        docsgen.expand("<!-- generated: nope -->")


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict",
                           "--site-dir", str(site)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stdout + done.stderr
    configuration = (site / "reference/configuration.html").read_text()
    for name in SETTINGS:
        assert f'id="{name.lower()}"' in configuration, name
    api = (site / "reference/api.html").read_text()
    assert "/api/v1/products/{product}/check" in api and "generated:" not in api
    assert "fonts.googleapis.com" not in (site / "index.html").read_text()  # works offline


def test_the_readme_links_lead_somewhere() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 160
    assert "make run" in readme and "make test" in readme
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme)
    local = [t for t in targets if not t.startswith(("http://", "https://"))]
    assert len(local) > 15
    for target in local:
        assert (ROOT / target).exists(), target
