"""The database: engine, one session per app context, the model base and its column types.

Services use ``db.session`` and never commit; ``stampbook.core.unit_of_work`` commits once per
request, command or job.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import Flask, current_app, g
from sqlalchemy import (
    DDL,
    BigInteger,
    ColumnElement,
    CursorResult,
    DateTime,
    Dialect,
    Engine,
    Executable,
    Integer,
    MetaData,
    Row,
    Select,
    Table,
    bindparam,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
IdType = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


def create_after(table: Table, statements: Mapping[str, list[DDL]]) -> None:
    """Run each dialect's statements (triggers) when ``table`` is created from the metadata, as
    the migration that added them does for a migrated database."""
    for dialect, ddls in statements.items():
        for ddl in ddls:
            event.listen(table, "after_create", ddl.execute_if(dialect=dialect))


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always hands back an aware UTC datetime, whatever the backend keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: store aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class IdMixin:
    id: Mapped[int] = mapped_column(IdType, primary_key=True)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(default=None, onupdate=utcnow)


# Set by the unit of work before a write transaction starts, so that SQLite takes the write
# lock at BEGIN instead of failing to upgrade a read lock halfway through (SQLITE_BUSY).
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is unreliable).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


def make_engine(
    url: str, *, pool_size: int = 5, max_overflow: int = 5, timeout: int = 10
) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": timeout, "check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=timeout,
        # No pre-ping (a round trip per request): a connection found dead is retried by the
        # unit of work, and the pool then drops every connection as old as it.
        # JIT compiles a plan whose estimated cost is high, and on a skewed table a request's
        # small query can be estimated so: it then spends 100-200 ms compiling to save
        # microseconds. Short requests never gain from it.
        connect_args={"connect_timeout": timeout, "options": "-c jit=off"},
    )


@dataclass
class _DatabaseState:
    engine: Engine
    session_factory: sessionmaker[Session]


class Database:
    """Flask extension: created unbound, ``init_app``-ed by the app factory.

    The engine lives in ``app.extensions`` so several apps (tests) can coexist.
    """

    def init_app(self, app: Flask) -> None:
        config = app.config
        engine = make_engine(
            config["DATABASE_URL"],
            pool_size=config["DATABASE_POOL_SIZE"],
            max_overflow=config["DATABASE_MAX_OVERFLOW"],
            timeout=config["DATABASE_TIMEOUT_SECONDS"],
        )
        app.extensions["stampbook.core.db"] = _DatabaseState(
            engine, sessionmaker(bind=engine, expire_on_commit=False)
        )
        app.teardown_appcontext(self._close_session)

    @staticmethod
    def _state() -> _DatabaseState:
        state: _DatabaseState = current_app.extensions["stampbook.core.db"]
        return state

    @property
    def engine(self) -> Engine:
        return self._state().engine

    def bind_session_factory(self, factory: sessionmaker[Session]) -> None:
        """Replace how sessions are made (tests bind them to one connection and a savepoint)."""
        self._state().session_factory = factory

    @property
    def session(self) -> Session:
        """The session of the current app context (request, command or job)."""
        session: Session | None = g.get("_db_session")
        if session is None:
            session = self._state().session_factory()
            g._db_session = session
        return session

    @staticmethod
    def _close_session(_error: BaseException | None) -> None:
        session: Session | None = g.pop("_db_session", None)
        if session is not None:
            session.close()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


db = Database()

T = TypeVar("T")
_READ_CACHE = "read_cache"
# A query, a row and a result of any number of columns.
AnySelect = Select[*tuple[Any, ...]]
AnyRow = Row[*tuple[Any, ...]]
AnyResult = CursorResult[*tuple[Any, ...]]


def with_parents(primary: type[Any], *path: tuple[type[Any], ColumnElement[bool]]) -> AnySelect:
    """The query of ``primary`` by id (the bind parameter ``id``) with the rows it belongs to.

    ``path`` names each parent and its join condition, e.g. a membership with its program and
    shop. Build it once, at import, and run it with :func:`load_with`: on a hot path, building
    a statement anew each call (coercions, then its cache key) costs about as much CPU as
    running it.
    """
    query = select(primary, *(entity for entity, _ in path))
    for entity, condition in path:
        query = query.join(entity, condition)
    return query.where(primary.id == bindparam("id"))


def load_with(query: AnySelect, object_id: int, **params: Any) -> AnyRow | None:
    """The row of a :func:`with_parents` query (``params`` binds what else it names), or None.

    The parents land in the identity map, so the permission checks that follow read them
    with ``session.get`` at no further cost.
    """
    return db.session.execute(query, {"id": object_id, **params}).first()


def execute_core(
    statement: Executable,
    params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
) -> AnyResult:
    """Run a statement of plain columns (a read of columns, an INSERT, an UPDATE: no ORM
    objects to load or keep in step) on the session's connection, in its transaction (with a
    list of ``params``, once per item: an INSERT of many rows in one statement).

    ``session.execute`` adds the ORM's work per statement, some 40% of the CPU of a small one,
    which such a statement does not need. The session is flushed first when ``session.execute``
    would be, so the statement sees (and follows) what the session holds.
    """
    session = db.session
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement, params)


def cached_read(key: Hashable, compute: Callable[[], T]) -> T:
    """Remember a read (e.g. "the actor's role in this shop") until the session next writes.

    Permission checks ask the same questions several times per request; any flush, commit or
    rollback forgets every answer, so a cached read never outlives the data it came from.
    """
    cache: dict[Hashable, Any] = db.session.info.setdefault(_READ_CACHE, {})
    if key not in cache:
        cache[key] = compute()
    value: T = cache[key]
    return value


def _forget_reads(session: Session, *_: Any) -> None:
    session.info.pop(_READ_CACHE, None)


for _event in ("after_flush", "after_transaction_end", "after_soft_rollback"):
    event.listen(Session, _event, _forget_reads)


@event.listens_for(Session, "loaded_as_persistent")
def _hold_loaded(session: Session, instance: object) -> None:
    # The identity map only holds weak references: a shop loaded by one permission check
    # would be garbage before the next one asked for it, and loaded again. A session lives
    # for one request, command or job, so holding what it loaded costs little and saves
    # repeated SELECTs by primary key.
    session.info.setdefault("loaded", []).append(instance)


def let_go(session: Session) -> None:
    """Forget what the session loaded and holds (above): a long job's batch is done, and
    the next batch reads its own rows (a customer import's hundred thousand customers would
    otherwise all stay in memory)."""
    session.expunge_all()
    session.info.pop("loaded", None)
