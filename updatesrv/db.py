"""Database plumbing shared by every domain package: the declarative base, the Flask
extension, UTC timestamps and a portable upsert."""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


class Database:
    """Engine and request-scoped session for a Flask app, in the shape of
    Flask-SQLAlchemy-Lite (``db.session``, ``db.engine``). Ours because that extension also
    registers an async teardown, which Flask runs through asgiref on every request at the
    cost of a thread start each time (measured: ~1 ms per request)."""

    def init_app(self, app: Flask) -> None:
        url = sa.make_url(app.config["SQLALCHEMY_ENGINES"]["default"])
        # hide_parameters: statement parameters (install hashes, whole batches) never reach
        # a log line or an error message.
        options: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
        if url.get_backend_name() == "sqlite":
            if url.database in (None, "", ":memory:"):
                options["poolclass"] = sa.pool.StaticPool
                options["connect_args"] = {"check_same_thread": False}
            else:
                if not os.path.isabs(url.database):
                    # The instance folder holds the database, uploads and the secret key.
                    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)
                    url = url.set(database=os.path.join(app.instance_path, url.database))
                create_private_file(str(url.database))
        engine = sa.create_engine(url, **options)
        configure_engine(engine, float(app.config.get("DB_LOCK_TIMEOUT", 30)))
        app.extensions["updatesrv.db"] = (engine, sessionmaker(bind=engine))
        app.teardown_appcontext(self._close_session)

    @staticmethod
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("_updatesrv_session", None)
        if session is not None:
            session.close()

    @property
    def engine(self) -> sa.Engine:
        engine: sa.Engine = current_app.extensions["updatesrv.db"][0]
        return engine

    @property
    def engines(self) -> dict[str, sa.Engine]:
        return {"default": self.engine}

    @property
    def sessionmaker(self) -> sessionmaker[Session]:
        maker: sessionmaker[Session] = current_app.extensions["updatesrv.db"][1]
        return maker

    @property
    def session(self) -> Session:
        """One session per application context (request, CLI command), closed at its end."""
        if "_updatesrv_session" not in g:
            g._updatesrv_session = self.sessionmaker()
        session: Session = g._updatesrv_session
        return session


db = Database()


def create_private_file(path: str) -> None:
    """Creates the SQLite file readable by its owner only (SQLite gives its -wal and -shm
    files the same mode); an existing file is left as it is."""
    if path.startswith("file:"):
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:
        pass  # e.g. a missing folder: SQLite reports that itself, clearly


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# SQLite: transactions that will write start with BEGIN IMMEDIATE, so two writers queue on
# the busy timeout instead of failing when a read lock cannot be upgraded.
_write_intent: ContextVar[bool] = ContextVar("updatesrv_write_intent", default=False)


@contextmanager
def write_intent() -> Iterator[None]:
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


@contextmanager
def read_only() -> Iterator[None]:
    """For a second connection opened inside a writing request (e.g. the catalog cache):
    a plain BEGIN, so it never queues behind the request's own write lock."""
    token = _write_intent.set(False)
    try:
        yield
    finally:
        _write_intent.reset(token)


def set_write_intent(value: bool) -> object:
    return _write_intent.set(value)


def reset_write_intent(token: Any) -> None:
    _write_intent.reset(token)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """Stores naive UTC on every backend and always hands back aware UTC datetimes,
    so SQLite and PostgreSQL compare and serialise times the same way."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime()}


def configure_engine(engine: sa.Engine, lock_timeout: float = 30.0) -> None:
    """SQLite needs WAL and a busy timeout so two gunicorn workers and the scheduler can
    write without 'database is locked' errors, and foreign keys switched on. On both
    databases a statement waits at most ``lock_timeout`` seconds for a lock; then it fails
    and the request answers 503 with Retry-After (see ``database_busy``), never hangs."""
    if engine.dialect.name == "postgresql":
        @event.listens_for(engine, "connect")
        def _pg_lock_timeout(dbapi_connection: Any, _record: Any) -> None:
            autocommit = dbapi_connection.autocommit
            dbapi_connection.autocommit = True
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = {int(lock_timeout * 1000)}")
            dbapi_connection.autocommit = autocommit
        return
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling issues BEGIN lazily; take it over so that
        # writers start with BEGIN IMMEDIATE and never deadlock on a lock upgrade.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout * 1000)}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


def dialect_insert(session: Session, table: sa.Table) -> Any:
    """``INSERT`` with ``on_conflict_do_update``/``_do_nothing`` for the session's backend."""
    return _dialect_insert(session.get_bind().dialect.name, table)


def _dialect_insert(dialect: str, table: sa.Table) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    else:  # pragma: no cover - only the two supported backends are tested
        raise RuntimeError(f"unsupported database dialect {dialect!r}")
    return insert(table)


UPSERT_CHUNK = 1000


def upsert(session: Session, table: sa.Table, rows: list[dict[str, Any]],
           key: list[str], increment: dict[str, str] | None = None) -> None:
    """INSERT … ON CONFLICT for SQLite and PostgreSQL: rows whose key exists either do
    nothing or add to the given counter columns (``increment`` maps column → column).

    One statement, compiled once and cached, executed with the rows as parameters
    (executemany) in chunks of UPSERT_CHUNK: never a multi-row VALUES with one bind
    parameter per value (PostgreSQL refuses more than 65,535 of them, and SQLAlchemy and
    sqlite3 would compile and cache a new statement for every batch size)."""
    if not rows:
        return
    stmt = _upsert_statement(session.get_bind().dialect.name, table,
                             tuple(key), tuple(sorted((increment or {}).items())))
    for start in range(0, len(rows), UPSERT_CHUNK):
        session.execute(stmt, rows[start:start + UPSERT_CHUNK])


@functools.lru_cache(maxsize=64)
def _upsert_statement(dialect: str, table: sa.Table, key: tuple[str, ...],
                      increment: tuple[tuple[str, str], ...]) -> Any:
    stmt = _dialect_insert(dialect, table)
    if increment:
        return stmt.on_conflict_do_update(
            index_elements=list(key),
            set_={col: table.c[col] + getattr(stmt.excluded, src) for col, src in increment})
    return stmt.on_conflict_do_nothing(index_elements=list(key))


# PostgreSQL: lock_not_available, query_canceled (lock/statement timeout),
# serialization_failure, deadlock_detected.
_BUSY_SQLSTATES = frozenset({"55P03", "57014", "40001", "40P01"})
_BUSY_SQLITE = ("database is locked", "database table is locked", "database is busy")


def database_busy(exc: BaseException) -> str | None:
    """'busy' when a statement gave up waiting for another transaction's lock,
    'unavailable' when the database cannot be reached, else None (a real bug)."""
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlstate", None) in _BUSY_SQLSTATES:
        return "busy"
    message = str(orig).lower()
    if any(text in message for text in _BUSY_SQLITE):
        return "busy"
    sqlstate = getattr(orig, "sqlstate", None) or ""
    if sqlstate.startswith("08") or getattr(exc, "connection_invalidated", False) or \
            ("connection" in message and ("refused" in message or "failed" in message)):
        return "unavailable"
    return None
