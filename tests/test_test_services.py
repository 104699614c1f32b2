"""The test suite's own rules: markers are applied, and a missing service skips with a reason outside CI but
fails in CI (tests/services.py), so CI can never pass with tests left out."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from . import services
from .conftest import pytest_collection_modifyitems


@pytest.mark.parametrize("marker, attribute, value, words", [
    ("postgres", "POSTGRES_URL", None, "MELDPUNT_TEST_POSTGRES_URL"),
    ("browser", "CHROMIUM", "/nergens/chromium", "apt-get install chromium"),
    ("imap", "DOVECOT", "/nergens/dovecot", "apt-get install dovecot-imapd"),
    ("ocr", "TESSERACT", "/nergens/tesseract", "apt-get install tesseract-ocr tesseract-ocr-nld"),
])
def test_a_missing_service_skips_with_how_to_get_it_but_fails_in_ci(monkeypatch, marker, attribute, value, words):
    monkeypatch.setattr(services, attribute, value)
    monkeypatch.setattr(services, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match=words):
        services.require(marker)
    monkeypatch.setattr(services, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match=f"CI.*{words}"):
        services.require(marker)


def test_ci_runs_every_app_test_on_postgresql_even_without_a_url():
    assert services.backends(None, in_ci=False) == ["sqlite"]
    assert services.backends("postgresql://x/test", in_ci=False) == ["sqlite", "postgresql"]
    assert services.backends(None, in_ci=True) == ["sqlite", "postgresql"]


class FakeItem(SimpleNamespace):
    def add_marker(self, name: str) -> None:
        self.markers.add(name)


def _item(module: str, fixtures=(), params=None) -> FakeItem:
    return FakeItem(module=SimpleNamespace(__name__=f"tests.{module}"), fixturenames=list(fixtures),
                    callspec=SimpleNamespace(params=params) if params is not None else None, markers=set())


def test_markers_follow_the_module_the_fixture_and_the_backend():
    items = [_item("test_browser_staff_flow", ["tmp_path"]), _item("test_mail_cli", ["dovecot_tls"]),
             _item("test_mail_mailbox", ["app", "dovecot"], {"app": "postgresql"}),
             _item("test_fuzz_forms", ["app"], {"app": "sqlite"}), _item("test_open311_contract"),
             _item("test_open311", ["app", "client"], {"app": "sqlite", "fmt": "json"})]
    pytest_collection_modifyitems(None, items)
    assert [item.markers for item in items] == [
        {"browser", "slow"}, {"imap"}, {"imap", "postgres"}, {"slow"}, {"slow"}, set()]
