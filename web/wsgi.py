"""The WSGI entry for production servers: `gunicorn -w 4 -b 0.0.0.0:8000 web.wsgi:app`."""
import sys

from engine.settings import ConfigError, Settings

from .app import create_app, freeze_long_lived
from .logs import configure_logging

try:
    app = create_app()
except ConfigError as err:  # one line naming the setting, not a traceback in every worker's log
    sys.exit(f"Error: {err}")
configure_logging(Settings(app.config))  # MELDPUNT_LOG_LEVEL, MELDPUNT_LOG_FORMAT
freeze_long_lived()
