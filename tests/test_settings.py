"""The MELDPUNT_* settings: every one documented in the README and declared in engine/settings.py (both ways),
read from the environment at start-up, typed, and a bad value refused with the variable named."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine import setting_types
from engine.setting_types import ConfigError, Setting
from engine.settings import Settings, settings
from web.app import create_app
from web.config import Config

ROOT = Path(__file__).resolve().parent.parent
APP_PACKAGES = ("engine", "handlers", "notifications", "intake", "reports", "web")
DECLARED = {setting.variable: setting for setting in Settings.declared()}


def readme_rows() -> list[tuple[list[str], str]]:
    """(variables, default cell) of each row of the README's Configuration table; `_PORT` after
    `MELDPUNT_SMTP_HOST` in a cell reads MELDPUNT_SMTP_PORT."""
    section = (ROOT / "README.md").read_text().split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("| `MELDPUNT_"):
            continue
        names, prefix = [], ""
        for token in re.findall(r"`([A-Z0-9_]+)`", cells[0]):
            if token.startswith("MELDPUNT_"):
                prefix = token.rsplit("_", 1)[0]
                names.append(token)
            else:
                names.append(prefix + token)
        rows.append((names, cells[1]))
    return rows


def documented() -> list[str]:
    return [name for names, _default in readme_rows() for name in names]


def test_every_documented_variable_is_declared_and_every_declared_one_documented_once():
    names = documented()
    assert sorted(set(names) - set(DECLARED)) == [], "documented in the README but not in engine/settings.py"
    assert sorted(set(DECLARED) - set(names)) == [], "declared in engine/settings.py but not in the README"
    assert sorted({name for name in names if names.count(name) > 1}) == [], "documented twice"


def shown(value) -> str:
    """A default as the README writes it."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def test_the_defaults_in_the_readme_are_the_declared_defaults():
    compared = 0
    for names, default_cell in readme_rows():
        values = re.findall(r"`([^`]+)`", default_cell.split("(")[0])
        if len(values) != len(names):
            continue  # the row says "unset" or explains in words
        for name, value in zip(names, values, strict=True):
            if DECLARED[name].default is not None:
                assert value == shown(DECLARED[name].default), name
                compared += 1
    assert compared >= 25


def source_files():
    for package in APP_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if path.name not in ("settings.py", "setting_types.py") and "migrations" not in path.parts:
                yield path


def test_every_declared_setting_is_read_by_some_module():
    code = "\n".join(path.read_text() for path in source_files())
    unread = [setting.variable for setting in DECLARED.values()
              if not re.search(rf"\.{setting.attribute}\b|\"{setting.variable}\"", code)]
    assert unread == [], "declared and documented, but nothing uses them"


def test_only_the_app_config_reads_the_environment():
    readers = [str(path.relative_to(ROOT)) for path in source_files()
               if re.search(r"os\.environ|getenv\(", path.read_text())]
    assert readers == ["web/config.py"]


def sample(setting: Setting) -> tuple[str, object]:
    """A valid value other than the default, as text and as the app keeps it."""
    parse = setting.parse
    if parse is setting_types.flag:
        return ("nee", False) if setting.default else ("ja", True)
    if parse is setting_types.duration:
        return "PT12H", "PT12H"
    if parse is setting_types.rate:
        return " 3/60 ", "3/60"
    if parse is setting_types.networks:
        return "10.0.0.5, 10.1.0.0/16", tuple(setting_types.networks("x", "10.0.0.5,10.1.0.0/16"))
    if parse is setting_types.redis_address:
        return "redis://127.0.0.1:6379/1", "redis://127.0.0.1:6379/1"
    if parse.__qualname__.startswith("whole_number"):
        return "7", 7
    if parse.__qualname__.startswith("choice"):
        return {"MELDPUNT_GEOCODER": ("Basisregisters", "basisregisters"), "MELDPUNT_LOG_LEVEL": ("Warning", "warning"),
                "MELDPUNT_LOG_FORMAT": ("JSON", "json"), "MELDPUNT_STORAGE": ("Folder", "folder")}.get(
            setting.variable, ("Development", "development"))
    assert parse is setting_types.text, setting.variable
    boundary = str(Path(__file__).parent / "data" / "small_boundary.geojson")
    addresses = str(Path(__file__).parent / "data" / "few_addresses.csv")
    tiles = "https://tegels.stad.example/{z}/{x}/{y}.png"
    samples = {"MELDPUNT_POST_DEADLINES": ("klacht=20w", "klacht=20w"), "MELDPUNT_CITY_BOUNDARY": (boundary, boundary),
               "MELDPUNT_MAP_TILE_URL": (tiles, tiles), "MELDPUNT_ADDRESS_CSV": (addresses, addresses),
               "MELDPUNT_S3_ENDPOINT_URL": ("https://s3.stad.example", "https://s3.stad.example")}
    return samples.get(setting.variable, ("iets@stad.example",) * 2)


STARTUP_ONLY = ("MELDPUNT_DATABASE_URL", "MELDPUNT_SECRET_KEY")


@pytest.mark.parametrize("variable", [name for name in DECLARED if name not in STARTUP_ONLY])
def test_each_variable_is_read_from_the_environment_typed(tmp_path, variable):
    text, value = sample(DECLARED[variable])
    configured = vars(Config(str(tmp_path), {variable: text}))
    assert configured[variable] == value
    assert getattr(Settings(configured), DECLARED[variable].attribute) == value


def test_database_url_and_secret_key_become_flasks_own_keys(tmp_path):
    configured = Config(str(tmp_path), {"MELDPUNT_DATABASE_URL": "postgresql://meldpunt@db/meldpunt",
                                        "MELDPUNT_SECRET_KEY": "een-lange-willekeurige-sleutel"})
    assert configured.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://meldpunt@db/meldpunt"
    assert configured.SECRET_KEY == "een-lange-willekeurige-sleutel"
    assert "MELDPUNT_SECRET_KEY" not in vars(configured)


def test_unset_or_empty_variables_give_the_declared_defaults(tmp_path):
    configured = vars(Config(str(tmp_path), {"MELDPUNT_SMTP_PORT": "", "MELDPUNT_MAIL_FROM": ""}))
    assert configured["MELDPUNT_SMTP_PORT"] == 25
    assert configured["MELDPUNT_MAIL_FROM"] == "Meldpunt <meldpunt@localhost>"
    assert configured["MELDPUNT_STORAGE_PATH"] == str(tmp_path / "files")
    assert configured["MELDPUNT_IMAP_PORT"] is None and configured["MELDPUNT_IMAP_SSL"] is True


BAD = {"whole_number": "abc", "choice": "prod", "flag": "misschien", "duration": "5 dagen", "rate": "5 per minuut",
       "networks": "proxy.stad.local", "redis_address": "127.0.0.1:6379"}


def kind(setting: Setting) -> str:
    return setting.parse.__qualname__.split(".")[0]


@pytest.mark.parametrize("variable", [name for name, setting in DECLARED.items() if kind(setting) in BAD])
def test_a_bad_value_stops_the_start_naming_the_variable(monkeypatch, variable):
    monkeypatch.setenv(variable, BAD[kind(DECLARED[variable])])
    with pytest.raises(ConfigError, match=f"^{variable}\\b"):
        create_app({"TESTING": True})


@pytest.mark.parametrize("variable, value, message", [
    ("MELDPUNT_SMTP_PORT", "abc", "MELDPUNT_SMTP_PORT='abc' is not a whole number from 1 to 65535"),
    ("MELDPUNT_SMTP_PORT", "70000", "MELDPUNT_SMTP_PORT='70000' is not a whole number from 1 to 65535"),
    ("MELDPUNT_TICK_SECONDS", "0", "MELDPUNT_TICK_SECONDS='0' is not a whole number of at least 1"),
    ("MELDPUNT_IMAP_SSL", "onn", "MELDPUNT_IMAP_SSL='onn' is not yes or no: use one of 1, true, yes, ja, on, 0, "
                                 "false, no, nee, off"),
    ("MELDPUNT_REACTION_WINDOW", "5 dagen", "MELDPUNT_REACTION_WINDOW='5 dagen' is not an ISO 8601 duration"),
    ("MELDPUNT_POST_DEADLINES", "klacht=veertig", "MELDPUNT_POST_DEADLINES: 'klacht=veertig' is not kind=days"),
])
def test_the_message_names_the_variable_the_value_and_what_is_allowed(monkeypatch, tmp_path, variable, value,
                                                                      message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as refused:
        Config(str(tmp_path))
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize("word, meaning", [("1", True), ("true", True), ("Yes", True), ("ja", True), ("on", True),
                                           ("0", False), ("false", False), ("no", False), ("NEE", False),
                                           ("off", False)])
def test_yes_no_settings_read_the_same_words_everywhere(monkeypatch, tmp_path, word, meaning):
    # Before, the flags took only on/true/1/yes: "ja" was silently no, and a typo ("onn") too.
    for variable in ("MELDPUNT_IMAP_STARTTLS", "MELDPUNT_SMTP_STARTTLS", "MELDPUNT_IMAP_SSL"):
        monkeypatch.setenv(variable, word)
    configured = Config(str(tmp_path))
    assert (configured.MELDPUNT_IMAP_STARTTLS, configured.MELDPUNT_SMTP_STARTTLS,
            configured.MELDPUNT_IMAP_SSL) == (meaning,) * 3


def test_text_in_a_tests_config_is_parsed_like_the_environment(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 't.sqlite'}",
                      "MELDPUNT_SMTP_PORT": "2525", "MELDPUNT_SMTP_STARTTLS": "ja"})
    assert app.config["MELDPUNT_SMTP_PORT"] == 2525 and app.config["MELDPUNT_SMTP_STARTTLS"] is True
    with app.app_context():
        app.config["MELDPUNT_FEEDBACK_DAYS"] = "3"
        assert settings().feedback_days == 3 and settings().smtp_port == 2525
    with pytest.raises(ConfigError, match="^MELDPUNT_SMTP_PORT='poort'"):
        create_app({"TESTING": True, "MELDPUNT_SMTP_PORT": "poort"})


def test_outside_an_app_the_defaults_hold():
    assert settings().feedback_days == 14 and settings().base_url == "http://127.0.0.1:5000"
    assert settings().report_rate == "5/600" and settings().trusted_proxies == ()
