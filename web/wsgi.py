"""The WSGI entry for production servers: `gunicorn -w 4 -b 0.0.0.0:8000 web.wsgi:app`."""
from .app import create_app, freeze_long_lived

app = create_app()
freeze_long_lived()
