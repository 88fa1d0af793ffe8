"""The generated parts of the documentation site, and the MkDocs hook that inserts them.

Three reference pages are never written by hand, so they cannot go stale:
``docs/reference/configuration.md`` (every setting in ``updatesrv/settings.py`` with its
default and the comment above it), ``docs/reference/cli.md`` (the help of every ``updatesrv``
command and of ``python -m updatesrv_client``) and ``docs/reference/api.md`` (the OpenAPI
document the server serves at ``/api/v1/openapi.json``, as plain Markdown tables, readable
without JavaScript). Each page holds a short hand-written introduction and a marker line
``<!-- generated: NAME -->`` that this hook replaces at build time (``mkdocs.yml``:
``hooks: [tools/docsgen.py]``). ``python tools/docsgen.py NAME`` prints one part.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import os
import re
import sys
import tempfile
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = ROOT / "updatesrv" / "settings.py"
MARKER = re.compile(r"^<!-- generated: ([a-z]+) -->$", re.MULTILINE)
HTTP_METHODS = ("get", "put", "post", "patch", "delete", "head", "options")


# -- configuration ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Setting:
    name: str
    default: str  # the default as written in settings.py
    comment: str  # the comment block above it (shared by the settings that follow it)


def read_settings(path: Path = SETTINGS_FILE) -> tuple[str, list[Setting]]:
    """The module docstring and every UPPER_CASE assignment of settings.py, each with the
    comment block above its group (a comment introduces the assignments that follow it
    until a blank line or the next comment)."""
    source = path.read_text(encoding="utf-8")
    comments: dict[int, str] = {}
    with io.StringIO(source) as stream:
        for token in tokenize.generate_tokens(stream.readline):
            if token.type == tokenize.COMMENT and token.start[1] == 0:
                comments[token.start[0]] = token.string.removeprefix("#").strip()
    lines = source.splitlines()
    module = ast.parse(source)
    settings: list[Setting] = []
    current = ""
    previous_end = 0
    for node in module.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id.isupper()):
            continue
        block: list[str] = []
        line = node.lineno - 1
        while line in comments:
            block.insert(0, comments[line])
            line -= 1
        gap = any(not lines[i - 1].strip() for i in range(previous_end + 1, node.lineno))
        if block:
            current = " ".join(block)
        elif gap:
            current = ""
        previous_end = node.end_lineno or node.lineno
        default = ast.get_source_segment(source, node.value) or ""
        settings.append(Setting(node.targets[0].id, default, current))
    return ast.get_docstring(module) or "", settings


def configuration_markdown() -> str:
    docstring, settings = read_settings()
    out = ["From `settings.py`: " + " ".join(docstring.split()), ""]
    out.append("| Setting | Default | Environment variable |")
    out.append("|---|---|---|")
    for s in settings:
        out.append(f"| [`{s.name}`](#{s.name.lower()}) | `{s.default}` | "
                   f"`UPDATESRV_{s.name}` |")
    out.append("")
    for s in settings:
        out += [f"### `{s.name}` {{ #{s.name.lower()} }}", "",
                f"Default: `{s.default}`. Environment: `UPDATESRV_{s.name}`.", ""]
        if s.comment:
            out += [s.comment, ""]
    return "\n".join(out)


# -- command line ----------------------------------------------------------------------------

@contextlib.contextmanager
def _columns(width: int) -> Iterator[None]:
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved


def _click_sections(command: Any, parent: Any) -> list[str]:
    import click

    ctx = click.Context(command, info_name=command.name, parent=parent, terminal_width=100,
                        max_content_width=100)
    out = [f"### `{ctx.command_path}`", "", "```text", command.get_help(ctx).rstrip(), "```",
           ""]
    if isinstance(command, click.Group):
        for sub_name in command.list_commands(ctx):
            sub = command.get_command(ctx, sub_name)
            if sub is not None and not sub.hidden:
                out += _click_sections(sub, ctx)
    return out


def _argparse_sections(parser: argparse.ArgumentParser) -> list[str]:
    from updatesrv_client import default_platform

    # The help names the building machine's platform; the site names none in particular.
    text = parser.format_help().rstrip().replace(
        f"this machine ({default_platform()})", "this machine's platform")
    out = [f"### `{parser.prog}`", "", "```text", text, "```", ""]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                out += _argparse_sections(sub)
    return out


def cli_markdown() -> str:
    import click
    from updatesrv_client.__main__ import _parser

    from updatesrv.cli import COMMANDS, main

    out = ["## `updatesrv`", "",
           "The server's command (`updatesrv --help`); each command also answers `--help`.", ""]
    with _columns(100):
        root = click.Context(main, info_name="updatesrv")
        for command in COMMANDS:
            out += _click_sections(command, root)
        out += ["## `python -m updatesrv_client`", "",
                "The client library's command, for installers, launchers and scripts.", ""]
        parser = _parser()
        parser.prog = "python -m updatesrv_client"
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    sub.prog = f"python -m updatesrv_client {sub_name}"
        out += _argparse_sections(parser)
    return "\n".join(out)


# -- HTTP API (OpenAPI) ----------------------------------------------------------------------

def served_openapi() -> dict[str, Any]:
    """The document exactly as a server built from this tree serves it."""
    from updatesrv import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({
            "TESTING": True, "SECRET_KEY": "docs-build",
            "SQLALCHEMY_ENGINES": {"default": f"sqlite:///{tmp}/docs.sqlite3"},
            "ARTIFACTS_DIR": f"{tmp}/artifacts", "SERVER_KEYS_DIR": f"{tmp}/server-keys",
            "STATS_FLUSH_INTERVAL": 0})
        answer = app.test_client().get("/api/v1/openapi.json")
        assert answer.status_code == 200, answer.status_code
        document: dict[str, Any] = json.loads(answer.data)
        return document


def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _schema_anchor(name: str) -> str:
    return "schema-" + name.lower()


def _type(schema: dict[str, Any]) -> str:
    """A short, linked description of a schema, e.g. `array of [Notice](#schema-notice)`."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{_schema_anchor(name)})"
    for combinator in ("oneOf", "anyOf", "allOf"):
        if combinator in schema:
            joiner = " and " if combinator == "allOf" else " or "
            return joiner.join(_type(s) for s in schema[combinator])
    if "enum" in schema:
        return "one of " + ", ".join(f"`{json.dumps(v)}`" for v in schema["enum"])
    kind = schema.get("type", "any")
    kinds = kind if isinstance(kind, list) else [kind]
    words = []
    for k in kinds:
        if k == "array":
            words.append("array of " + _type(schema.get("items", {})))
        elif k == "object" and "properties" in schema:
            words.append("object (" + ", ".join(f"`{p}`" for p in schema["properties"]) + ")")
        else:
            words.append(f"`{k}`")
    text = " or ".join(words)
    limits = [f"{key} {schema[key]}" for key in (
        "format", "minimum", "maximum", "minLength", "maxLength", "maxItems", "default")
        if key in schema]
    if "pattern" in schema:
        limits.append(f"pattern `{schema['pattern']}`")
    return text + (f" ({', '.join(limits)})" if limits else "")


def _content_rows(content: dict[str, Any]) -> str:
    return "; ".join(f"`{media}`: {_type(body.get('schema', {}))}"
                     for media, body in content.items())


def _operation(path: str, method: str, op: dict[str, Any],
               shared_parameters: list[dict[str, Any]]) -> list[str]:
    anchor = "op-" + (op.get("operationId") or f"{method}-{path}").lower()
    anchor = re.sub(r"[^a-z0-9-]+", "-", anchor).strip("-")
    out = [f"### `{method.upper()} {path}` {{ #{anchor} }}", ""]
    if op.get("summary"):
        out += [op["summary"], ""]
    if op.get("description"):
        out += [op["description"], ""]
    out += ["Authentication: " + ("vendor token (`Authorization: Bearer …`)"
                                   if op.get("security") else "none (public)") + ".", ""]
    parameters = [*shared_parameters, *op.get("parameters", [])]
    if parameters:
        out += ["| Parameter | In | Required | Type | Description |", "|---|---|---|---|---|"]
        for p in parameters:
            out.append(f"| `{p['name']}` | {p['in']} | {'yes' if p.get('required') else 'no'} "
                       f"| {_cell(_type(p.get('schema', {})))} "
                       f"| {_cell(p.get('description', ''))} |")
        out.append("")
    body = op.get("requestBody")
    if body:
        required = "required" if body.get("required") else "optional"
        out += [f"Request body ({required}): {_cell(_content_rows(body.get('content', {})))}", ""]
    out += ["| Status | Meaning | Body | Headers |", "|---|---|---|---|"]
    for status, answer in op.get("responses", {}).items():
        headers = ", ".join(f"`{h}`" for h in answer.get("headers", {}))
        out.append(f"| {status} | {_cell(answer.get('description', ''))} "
                   f"| {_cell(_content_rows(answer.get('content', {})))} | {headers} |")
    out.append("")
    for name, header in op.get("responses", {}).get("200", {}).get("headers", {}).items():
        if header.get("description"):
            out += [f"- `{name}`: {header['description']}"]
    return [*out, ""] if out[-1] else out


def _schema_section(name: str, schema: dict[str, Any]) -> list[str]:
    out = [f"### {name} {{ #{_schema_anchor(name)} }}", ""]
    if schema.get("description"):
        out += [schema["description"], ""]
    properties = schema.get("properties")
    if not properties:
        return [*out, f"Type: {_type(schema)}.", ""]
    required = set(schema.get("required", []))
    out += ["| Field | Type | Required | Description |", "|---|---|---|---|"]
    for field, sub in properties.items():
        out.append(f"| `{field}` | {_cell(_type(sub))} | {'yes' if field in required else 'no'} "
                   f"| {_cell(sub.get('description', ''))} |")
    return [*out, ""]


def api_markdown(document: dict[str, Any] | None = None) -> str:
    doc = document or served_openapi()
    info = doc.get("info", {})
    out = [f"The document below is generated from `/api/v1/openapi.json` "
           f"({info.get('title', '')}, version {info.get('version', '')}, OpenAPI "
           f"{doc.get('openapi', '')}) when the site is built. {info.get('description', '')}",
           "", "## Endpoints", ""]
    out += ["| Method | Path | Summary |", "|---|---|---|"]
    operations: list[tuple[str, str, dict[str, Any], list[dict[str, Any]]]] = []
    for path, item in doc.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                operations.append((path, method, item[method], item.get("parameters", [])))
    for path, method, op, _ in operations:
        anchor = re.sub(r"[^a-z0-9-]+", "-", "op-" + (
            op.get("operationId") or f"{method}-{path}").lower()).strip("-")
        out.append(f"| {method.upper()} | [`{path}`](#{anchor}) | {_cell(op.get('summary', ''))} |")
    out.append("")
    for path, method, op, shared in operations:
        out += _operation(path, method, op, shared)
    out += ["## Schemas", ""]
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        out += _schema_section(name, schema)
    return "\n".join(out)


# -- the MkDocs hook -------------------------------------------------------------------------

GENERATORS: dict[str, Callable[[], str]] = {
    "configuration": configuration_markdown,
    "cli": cli_markdown,
    "api": api_markdown,
}


def expand(markdown: str, cache: dict[str, str] | None = None) -> str:
    """Replaces every ``<!-- generated: NAME -->`` line; an unknown NAME is an error."""
    cache = {} if cache is None else cache

    def generated(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in GENERATORS:
            raise ValueError(f"unknown generated section {name!r} "
                             f"(known: {', '.join(GENERATORS)})")
        if name not in cache:
            cache[name] = GENERATORS[name]()
        return cache[name]

    return MARKER.sub(generated, markdown)


_BUILD_CACHE: dict[str, str] = {}


def on_pre_build(config: Any) -> None:
    _BUILD_CACHE.clear()  # `mkdocs serve` rebuilds: regenerate from the current tree


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    return expand(markdown, _BUILD_CACHE)


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in GENERATORS:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(GENERATORS)}}}")
    print(GENERATORS[sys.argv[1]]())
