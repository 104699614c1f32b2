"""The one SQLAlchemy handle every package shares (models live with the package that owns them)."""
from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so Alembic migrations can drop and alter them on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)

# Models subclass `Model`: `db.Model` itself, which a type checker cannot take as a base class (it is an attribute).
if TYPE_CHECKING:
    from flask_sqlalchemy.model import Model as _FlaskModel

    class Model(_FlaskModel, Base):
        """What `db.Model` is at run time: Flask-SQLAlchemy's model mixins on the declarative base."""

        __table__: ClassVar[Table]  # declarative models map a Table, never another FromClause
else:
    Model = db.Model


from datetime import UTC, datetime  # noqa: E402

from sqlalchemy import BigInteger, DateTime, Integer  # noqa: E402
from sqlalchemy.engine import Dialect  # noqa: E402
from sqlalchemy.types import TypeDecorator  # noqa: E402

# BIGINT keys on PostgreSQL (millions of cases and events), INTEGER on SQLite so rowid autoincrement works.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always handed back timezone-aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use engine.clock.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


from typing import TypeVar  # noqa: E402

from sqlalchemy import Select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

_Row = TypeVar("_Row")


def load_detached(statement: Select[tuple[_Row]]) -> _Row | None:
    """The first row of `statement`, loaded in a session of its own and detached from it: a copy to cache across
    requests and merge into a request's session without a statement (`db.session.merge(copy, load=False)`), the
    pattern SQLAlchemy documents for caching reference data."""
    with Session(db.engine) as session:
        row = session.scalar(statement)
        session.expunge_all()
    return row
