"""The Flask application factory."""
from __future__ import annotations

import gc
from pathlib import Path
from typing import Any, Optional

from flask import Flask
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event

from engine.db import db
from engine.settings import Settings, typed_config
from handlers.case_search import sqlite_fold

from .config import Config, engine_options
from .prepared_statements import keep_prepared_statements
from .url_ids import init_url_ids

MIGRATIONS = str(Path(__file__).resolve().parent / "migrations")
migrate = Migrate(directory=MIGRATIONS)
csrf = CSRFProtect()


def load_domain() -> None:
    """Import the modules that register models, service operators, forms and the queue resolver."""
    import handlers.actions  # noqa: F401
    import handlers.admin_changes  # noqa: F401
    import handlers.answer_return  # noqa: F401
    import handlers.case_kinds  # noqa: F401
    import handlers.contact_actions  # noqa: F401
    import handlers.contact_privacy  # noqa: F401
    import handlers.contractors  # noqa: F401
    import handlers.forms  # noqa: F401
    import handlers.groups  # noqa: F401
    import handlers.letter_ocr  # noqa: F401
    import handlers.mail_actions  # noqa: F401
    import handlers.mail_forms  # noqa: F401
    import handlers.mail_messages  # noqa: F401
    import handlers.messages  # noqa: F401
    import handlers.post_actions  # noqa: F401
    import handlers.post_forms  # noqa: F401
    import handlers.post_privacy  # noqa: F401
    import handlers.ready_answers  # noqa: F401
    import handlers.routing  # noqa: F401
    import handlers.security_events  # noqa: F401
    import handlers.status_mails  # noqa: F401
    import intake.mail_privacy  # noqa: F401
    import intake.rate_limit_db  # noqa: F401
    import notifications.mail_texts  # noqa: F401
    import notifications.outbox  # noqa: F401
    import reports.models  # noqa: F401


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers work while one writer commits; NORMAL sync is safe with WAL and much faster.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # The staff search's folding (handlers/case_search.py), for the words too short for its trigram index.
    dbapi_connection.create_function("meldpunt_fold", 1, sqlite_fold, deterministic=True)


def freeze_long_lived() -> None:
    """Keep what start-up made out of the garbage collector's walks, in a long-running process.

    A serving process keeps its modules, the app and its SQLAlchemy metadata for its whole life; every full
    collection would walk them again (measured: about 6% of the time of registering a melding). Called by
    `meldpunt serve`, `meldpunt worker` and web/wsgi.py once the app is built; not by tests, which build
    many apps in one process.
    """
    gc.collect()
    gc.freeze()


def create_app(test_config: Optional[dict[str, Any]] = None) -> Flask:
    """Build the app from the environment (MELDPUNT_*), or from `test_config` in tests."""
    app = Flask(__name__, instance_relative_config=True)
    init_url_ids(app)  # before any blueprint: every <int:...> route is bounded to the BIGINT range
    app.config.from_mapping(vars(Config(app.instance_path)))
    if test_config:
        app.config.update(test_config)
        app.config.update(typed_config(test_config))  # text in a test's config is parsed like the environment
        if "SQLALCHEMY_ENGINE_OPTIONS" not in test_config:
            app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    load_domain()
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
        keep_prepared_statements(db.engine)  # PostgreSQL: parsed and planned once per connection, not per use

    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .auth import init_auth
    from .errors import register_error_handlers
    from .feedback import bp as feedback_bp
    from .follow import bp as follow_bp
    from .i18n import init_i18n
    from .input_guard import init_input_guard
    from .logs import init_request_log
    from .metrics import observe
    from .open311 import bp as open311_bp
    from .ops import bp as ops_bp
    from .outage import init_outage
    from .portal import bp as portal_bp
    from .public import bp as public_bp
    from .public_form import bp as report_bp
    from .report_lookup import bp as report_lookup_bp
    from .security import init_security
    from .staff import bp as staff_bp
    from .templating import init_templating
    from .tracking_answer import bp as tracking_answer_bp

    init_security(app)
    init_request_log(app, observe)  # a request id and a log line for every request, the latency histogram
    init_auth(app)
    init_input_guard(app)  # before the CSRF check: NUL and lone surrogates never reach a query
    csrf.init_app(app)
    csrf.exempt(api_bp)  # the API authenticates every call with a bearer token, not a cookie
    csrf.exempt(open311_bp)  # Open311 POSTs authenticate with api_key, not a cookie
    init_i18n(app)  # before the templates: they use its `_` and `ngettext`
    init_templating(app)
    app.register_blueprint(api_bp)
    app.register_blueprint(auth_bp, url_prefix="/werk")
    app.register_blueprint(staff_bp, url_prefix="/werk")
    app.register_blueprint(public_bp)
    app.register_blueprint(tracking_answer_bp)  # the answer to the city's question (web/tracking_answer.py)
    app.register_blueprint(report_bp)
    app.register_blueprint(follow_bp)  # "Ik meld hetzelfde" (web/follow.py)
    app.register_blueprint(report_lookup_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(feedback_bp)
    app.register_blueprint(open311_bp)
    app.register_blueprint(ops_bp)  # /healthz, /readyz, /metrics
    register_error_handlers(app)
    init_outage(app)

    if Settings(app.config).scheduler:
        from .scheduler import start_background_scheduler

        start_background_scheduler(app)
    return app
