"""Staff pages: meldkamer, group queues, case page, contractor orders, administration."""
from flask import Blueprint

bp = Blueprint("staff", __name__)

from . import admin, cases, dashboard, mail_admin, outbox_admin, post, privacy_admin, queues, routing_admin  # noqa: E402,F401,I001
from . import security_admin  # noqa: E402,F401  # isort: skip

from . import open311_admin, publication  # noqa: E402,F401  # isort: skip
from . import process_admin  # noqa: E402,F401  # isort: skip
from . import process_editor  # noqa: E402,F401  # isort: skip
from . import case_versions  # noqa: E402,F401  # isort: skip
from . import category_admin, ready_answers_admin  # noqa: E402,F401  # isort: skip
from . import mail_texts_admin  # noqa: E402,F401  # isort: skip
from . import contact  # noqa: E402,F401  # isort: skip
from . import topic_admin  # noqa: E402,F401  # isort: skip
