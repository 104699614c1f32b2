"""The thin web layer: app factory, staff JSON API, public tracking page, CLI."""
