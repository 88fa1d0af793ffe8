"""The ``updatesrv`` command: Flask's CLI group for this app, plus the commands an
operator or a CI pipeline needs."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from . import migrate
from .db import db, write_intent
from .storage.cli import storage_group


def _create_app() -> Flask:
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False,
             load_dotenv=False, set_debug_flag=False)
def main() -> None:
    """updatesrv: releases and known-issue notices for desktop apps.

    The instance folder (database, uploads, config.py) is ./instance, or the directory
    named by UPDATESRV_INSTANCE_PATH."""


@click.group("db")
def db_group() -> None:
    """Database migrations (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: the newest)."""
    migrate.upgrade(db.engine, revision)
    click.echo(f"database at {migrate.current_revision(db.engine)}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    migrate.downgrade(db.engine, revision)
    click.echo(f"database at {migrate.current_revision(db.engine)}")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate/--empty", default=True)
@with_appcontext
def db_revision(message: str, autogenerate: bool) -> None:
    """Write a new migration (developers): compares the models with the database."""
    migrate.revision(db.engine, message, autogenerate)


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    click.echo(migrate.current_revision(db.engine) or "empty database")


def _ensure_instance_config(app: Flask) -> None:
    instance = Path(app.instance_path)
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    config = instance / "config.py"
    if not config.exists() and "UPDATESRV_SECRET_KEY" not in os.environ:
        config.write_text(
            "# Written by 'updatesrv init'. See instance/config.example.py in the source tree\n"
            "# for every setting. Keep this file private: the key signs console sessions.\n"
            f"SECRET_KEY = {secrets.token_hex(32)!r}\n")
        config.chmod(0o600)
        click.echo(f"wrote {config} with a new random SECRET_KEY")


@click.command("init")
@click.option("--demo/--no-demo", default=False,
              help="Seed a clearly marked demo product when the database is empty.")
@click.option("--bind", default="127.0.0.1:5000", show_default=True,
              help="The address `serve` will listen on, for the demo's printed commands.")
@with_appcontext
def init_command(demo: bool, bind: str) -> None:
    """Create the instance folder, a secret key, the database schema and (with --demo)
    sample data on an empty database."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    _ensure_instance_config(app)
    ensure_server_key(app)
    migrate.upgrade(db.engine)
    click.echo(f"database ready at {migrate.current_revision(db.engine)}")
    if demo:
        from .demo import describe_demo, seed_demo

        created = seed_demo(db.session, app)
        click.echo(describe_demo(created, bind))


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.command("create-vendor")
@click.argument("slug")
@click.option("--name", required=True, help="The vendor's display name.")
@click.option("--email", required=True, help="E-mail of the vendor's first owner.")
@click.option("--password-stdin", is_flag=True, help="Read the owner's password from stdin.")
@with_appcontext
def create_vendor_command(slug: str, name: str, email: str, password_stdin: bool) -> None:
    """Create vendor SLUG with an owner account (an existing user becomes its owner)."""
    from .accounts import services as accounts
    from .errors import UpdatesrvError

    try:
        vendor, user = accounts.create_vendor_with_owner(
            db.session, slug, name, email, lambda: _read_password(password_stdin))
    except UpdatesrvError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"created vendor {vendor.slug} with owner {user.email}")


@click.command("create-token")
@click.argument("vendor")
@click.option("--name", default="cli", show_default=True)
@click.option("--role", type=click.Choice(["viewer", "publisher", "owner"]),
              default="publisher", show_default=True)
@click.option("--product", "products", multiple=True, metavar="SLUG",
              help="Limit the token to this product (repeat for several; default: every "
                   "product of the vendor).")
@click.option("--expires-in", default="90d", show_default=True,
              help="Lifetime such as 90d, 12h or 2w, or 'never'.")
@with_appcontext
def create_token_command(vendor: str, name: str, role: str, products: tuple[str, ...],
                         expires_in: str) -> None:
    """Create an API token for VENDOR. The token is printed once, on the last line."""
    from .accounts import alerts, tokens
    from .accounts import services as accounts
    from .errors import UpdatesrvError

    try:
        lifetime = tokens.parse_lifetime(expires_in)
        with write_intent():
            token, plaintext = tokens.create_token(
                db.session, accounts.get_vendor(db.session, vendor), name, role,
                created_by="cli", products=products, lifetime=lifetime)
            alerts.token_created(db.session, current_app.config, token)
    except UpdatesrvError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"token {token.name!r} ({token.role}) for {vendor}", err=True)
    if products:
        click.echo(f"products: {', '.join(dict.fromkeys(products))}", err=True)
    else:
        click.echo("products: all of the vendor's", err=True)
    if token.expires_at:
        click.echo(f"expires: {token.expires_at:%Y-%m-%d %H:%M} UTC", err=True)
    else:
        click.echo("expires: never", err=True)
    click.echo("The token is shown only now:", err=True)
    click.echo(plaintext)


@click.command("serve")
@click.option("--bind", "-b", default="127.0.0.1:5000", show_default=True)
@click.option("--workers", "-w", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--dev", is_flag=True, help="Flask's reloading development server.")
@click.option("--scheduler/--no-scheduler", default=True, show_default=True,
              help="Also run a scheduler process (safe on every host: scheduled work is "
                   "claimed in the database and runs once).")
@click.option("--worker-class", type=click.Choice(["sync", "gthread"]), default=None,
              help="Gunicorn worker class (default: gthread, chosen by measurement; see "
                   "docs/operating/production.md).")
@click.option("--control-socket", default=None, metavar="PATH",
              help="Open gunicorn's control socket (gunicornc) at PATH; off by default.")
@with_appcontext
def serve_command(bind: str, workers: int, dev: bool, scheduler: bool,
                  worker_class: str | None, control_socket: str | None) -> None:
    """Serve the app: gunicorn with WORKERS processes (or the dev server with --dev), plus
    one scheduler process beside them. Workers never start a scheduler."""
    from .serve import DEFAULT_WORKER_CLASS, run_dev, run_gunicorn, start_scheduler_process

    host, _, port = bind.rpartition(":")
    if not dev:
        from .production import prepare_serving

        problems = prepare_serving(current_app.config, host)
        if problems:
            raise click.ClickException("refusing to serve:\n- " + "\n- ".join(problems)
                                       + "\n(--dev runs the development server anyway)")
        try:
            import gunicorn  # noqa: F401 - not on Windows
        except ImportError:
            click.echo("gunicorn is not available here; using the development server", err=True)
            dev = True
    # Werkzeug's reloader runs this command again in a child (WERKZEUG_RUN_MAIN set):
    # only the first run starts the scheduler, so there is still exactly one.
    if scheduler and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        start_scheduler_process()
    if dev:
        run_dev(host or "127.0.0.1", int(port))
    else:
        run_gunicorn(bind, workers, worker_class=worker_class or DEFAULT_WORKER_CLASS,
                     control_socket=control_socket)


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run due work once and exit (for cron and tests).")
@click.option("--now", "now_text", default=None, metavar="RFC3339",
              help="With --once: the time to run as (default: now).")
@click.option("--tick", default=30.0, show_default=True, type=click.FloatRange(1, 3600),
              help="Seconds between ticks.")
@with_appcontext
def scheduler_command(once: bool, now_text: str | None, tick: float) -> None:
    """Run the scheduler: due ramp steps and housekeeping. One per deployment."""
    from .errors import UpdatesrvError
    from .scheduling.runner import run_forever, run_once
    from .timeutil import parse_rfc3339

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if once:
        try:
            now = parse_rfc3339(now_text, "--now")
        except UpdatesrvError as exc:
            raise click.BadParameter(exc.detail, param_hint="--now") from None
        click.echo(run_once(app, now))
        return
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s scheduler %(message)s")
    run_forever(app, tick_seconds=tick)


@click.command("publish")
@click.option("--server", required=True, envvar="UPDATESRV_SERVER",
              help="Base URL of the updatesrv server.")
@click.option("--token", required=True, envvar="UPDATESRV_TOKEN",
              help="Vendor API token (or UPDATESRV_TOKEN).")
@click.option("--product", required=True)
@click.option("--version", "version", required=True)
@click.option("--channel", default=None)
@click.option("--notes-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--critical", is_flag=True)
@click.option("--artifact", "artifacts", multiple=True, metavar="PLATFORM=PATH",
              help="Upload PATH as the file for PLATFORM (repeatable).")
@click.option("--signing-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Ed25519 private key (PEM or base64): signs each file's release manifest "
                   "(product, version, platform, size, sha256) and its bytes, locally.")
@click.option("--draft", is_flag=True, help="Leave the release as a draft.")
def publish_command(server: str, token: str, product: str, version: str, channel: str | None,
                    notes_file: Path | None, critical: bool, artifacts: tuple[str, ...],
                    signing_key: Path | None, draft: bool) -> None:
    """Publish a release to a remote updatesrv from a CI pipeline. Safe to re-run."""
    from .publish import Publisher, PublishError, load_private_key

    parsed: list[tuple[str, Path]] = []
    for item in artifacts:
        platform, sep, path = item.partition("=")
        if not sep or not platform or not path:
            raise click.BadParameter(f"{item!r} is not PLATFORM=PATH", param_hint="--artifact")
        if not Path(path).is_file():
            raise click.BadParameter(f"{path} is not a file", param_hint="--artifact")
        parsed.append((platform, Path(path)))
    try:
        key = load_private_key(signing_key) if signing_key else None
        Publisher(server, token, product, echo=click.echo).publish(
            version, channel=channel,
            notes=notes_file.read_text(encoding="utf-8") if notes_file else None,
            critical=critical, artifacts=parsed, draft=draft, signing_key=key)
    except PublishError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("keygen")
@click.argument("private_key_file", type=click.Path(dir_okay=False, path_type=Path),
                required=False)
@click.option("--server", "server_key", is_flag=True,
              help="Add a key that signs the server's check answers (to SERVER_KEYS_DIR) "
                   "instead of writing a vendor's release-signing key.")
@click.option("--retire", metavar="KEY_ID", default=None,
              help="With --server: delete this server key (after apps trust its successor).")
@click.pass_context
def keygen_command(ctx: click.Context, private_key_file: Path | None, server_key: bool,
                   retire: str | None) -> None:
    """Create an Ed25519 signing key pair: the private key goes to PRIVATE_KEY_FILE (PEM),
    the public key (for the product's signing_keys) is printed.

    With --server, add a server key instead (every server key signs every check answer and
    is published at /api/v1/keys); restart the server to use it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from .publish import public_key_b64

    if server_key or retire:
        _server_keygen(ctx, retire)
        return
    if private_key_file is None:
        raise click.UsageError("name the PRIVATE_KEY_FILE to write (or use --server)")
    if private_key_file.exists():
        raise click.ClickException(f"{private_key_file} exists; refusing to overwrite a key")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(private_key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    click.echo(public_key_b64(key))


def _server_keygen(ctx: click.Context, retire: str | None) -> None:
    from flask.cli import ScriptInfo

    from . import server_keys_dir
    from .errors import InvalidInput
    from .trust import keys

    app = ctx.ensure_object(ScriptInfo).load_app()
    folder = server_keys_dir(app)
    if retire:
        try:
            keys.retire(folder, retire)
        except InvalidInput as exc:
            raise click.ClickException(exc.detail) from None
        click.echo(f"retired server key {retire}; restart the server to stop signing with it")
        return
    key = keys.generate(folder)
    click.echo(f"server key {key.id} added to {folder}\npublic key: {key.public_key}\n"
               "Restart the server: it signs with every key in that folder and publishes "
               "them at /api/v1/keys.")


def ensure_server_key(app: Flask) -> None:
    """'updatesrv init' gives a new instance its first server key, so answers are signed
    from the start."""
    from . import server_keys_dir
    from .trust import keys

    folder = server_keys_dir(app)
    if not keys.Keyring.load(folder):
        key = keys.generate(folder)
        click.echo(f"created server key {key.id} in {folder} (public key {key.public_key}); "
                   "apps pass it as server_keys=[...]")


@click.command("nginx-config")
@click.option("--backend", "backends", multiple=True, required=True, metavar="HOST:PORT",
              help="A web host running 'updatesrv serve' (repeatable).")
@click.option("--artifacts-dir", required=True,
              help="The uploads directory every host shares (ARTIFACTS_DIR), as nginx sees it.")
@click.option("--listen", default="80", show_default=True)
@click.option("--server-name", default="_", show_default=True)
@click.option("--cache-dir", default="/var/cache/nginx/updatesrv", show_default=True)
def nginx_config_command(backends: tuple[str, ...], artifacts_dir: str, listen: str,
                         server_name: str, cache_dir: str) -> None:
    """Print the nginx configuration that fronts the web hosts (docs/operating/nginx.md)."""
    from .deploy.nginx import NginxSite

    click.echo(NginxSite(backends=backends, artifacts_dir=artifacts_dir, listen=listen,
                         server_name=server_name, cache_dir=cache_dir).render(), nl=False)


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Add the demo vendor and product if the database is empty."""
    from .demo import describe_demo, seed_demo

    click.echo(describe_demo(seed_demo(db.session, current_app._get_current_object())))  # type: ignore[attr-defined]


COMMANDS = [db_group, storage_group, init_command, create_vendor_command, create_token_command,
            serve_command, scheduler_command, publish_command, keygen_command, nginx_config_command,
            seed_demo_command]


def register_commands(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


if __name__ == "__main__":
    main()
