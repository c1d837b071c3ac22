"""Settings: typed and checked once when the app is created; nothing else reads a COMMONS_* key."""

import re
from pathlib import Path

import pytest
from flask import Flask

from commons import create_app, settings
from commons.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parent.parent
# A COMMONS_* key looked up in the environment or in a Flask config, by any module
READ = re.compile(r"""(environ|config)\s*(\.get\(|\.setdefault\(|\.pop\(|\[)\s*f?["']COMMONS_""")
WRITE = re.compile(r"""COMMONS_\w*["']\]\s*=[^=]""")  # setting one (for gunicorn's workers) is not reading it


@pytest.mark.parametrize("key, value, message", [
    ("COMMONS_MODERATION", "maybe", "COMMONS_MODERATION must be true or false (1, yes, on / 0, no, off), not 'maybe'"),
    ("COMMONS_SMTP_PORT", "smtp", "COMMONS_SMTP_PORT must be a port number from 1 to 65535, not 'smtp'"),
    ("COMMONS_PUBLIC_URL", "commons.example.org",
     "COMMONS_PUBLIC_URL must be the address readers use, starting http:// or https://, not 'commons.example.org'"),
    ("COMMONS_SEARCH_MODE", "fuzzy", "COMMONS_SEARCH_MODE must be hybrid, dense or lexical, not 'fuzzy'"),
    ("COMMONS_SEARCH_DENSE_WEIGHT", "2", "COMMONS_SEARCH_DENSE_WEIGHT must be a number from 0 to 1, not '2'"),
    ("COMMONS_INDEX_VECTORS", "bf16", "COMMONS_INDEX_VECTORS must be float32, float16 or int8, not 'bf16'"),
    ("COMMONS_SEARCHES_PER_MINUTE", "-5",
     "COMMONS_SEARCHES_PER_MINUTE must be a whole number of searches (0 turns the limit off), not '-5'"),
    ("COMMONS_DATABASE_URL", "commons.db", "COMMONS_DATABASE_URL must be a database URL, e.g. sqlite:///path or "
     "postgresql+psycopg://user@host/name, not 'commons.db'"),
])
def test_a_value_that_cannot_be_used_stops_the_app_naming_the_key_and_what_it_takes(
        tmp_path: Path, key: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError) as refused:
        create_app({"COMMONS_INSTANCE_PATH": str(tmp_path), "COMMONS_SECRET_KEY": "x", key: value})
    assert str(refused.value) == message


def test_every_problem_is_named_at_once_and_a_blank_value_is_unset() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.read({"COMMONS_PROXY_HOPS": "two", "COMMONS_SESSION_LIFETIME_DAYS": "0"})
    assert str(refused.value) == ("COMMONS_SESSION_LIFETIME_DAYS must be a whole number of days from 1 to 366, not "
                                  "'0'; COMMONS_PROXY_HOPS must be a whole number of proxies, not 'two'")
    blank = Settings.read({"COMMONS_SMTP_PORT": " ", "COMMONS_MODERATION": "", "COMMONS_SEARCH_POOL": ""})
    assert (blank.smtp_port, blank.moderation, blank.search_pool) == (587, False, None)


def test_the_settings_are_read_once_typed_and_again_only_when_the_config_changes(app: Flask) -> None:
    with app.app_context():
        first = settings.current()
        assert settings.current() is first  # read at creation, not at each use
        assert first.searches_per_minute == 0 and app.config["COMMONS_SEARCHES_PER_MINUTE"] == 0  # "0", typed
        assert first.database_url == app.config["COMMONS_DATABASE_URL"]
        assert first.index_dir == str(Path(app.instance_path) / "index")  # defaults from the instance folder
        assert first.moderation is False and first.mail["port"] == 587
        app.config["COMMONS_MODERATION"] = "yes"  # as tests switch moderation on
        assert settings.current().moderation is True and settings.current() is not first
        app.config["COMMONS_MODERATION"] = ""
        assert settings.current().moderation is False
        app.config["COMMONS_SMTP_PORT"] = "twenty-five"
        with pytest.raises(SettingsError, match="COMMONS_SMTP_PORT must be a port number"):
            settings.current()


def test_no_module_but_the_settings_reads_a_commons_key() -> None:
    """Every COMMONS_* value is read in commons/settings.py; everything else asks the typed settings."""
    readers = []
    for path in sorted([*ROOT.joinpath("commons").rglob("*.py"), *ROOT.joinpath("indexer").rglob("*.py")]):
        if path == ROOT / "commons" / "settings.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if READ.search(line) and not WRITE.search(line):
                readers.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert readers == []


def test_the_app_hands_the_gil_to_a_waiting_thread_within_its_switch_interval(
        tmp_path: Path) -> None:
    """The question is encoded on a helper thread while the asking thread works: the app sets the
    process's switch interval so the helper waits for the GIL 1 ms at most, not Python's 5 ms."""
    import sys

    from indexer.threads import SWITCH_INTERVAL

    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    try:
        create_app({"COMMONS_INSTANCE_PATH": str(tmp_path), "COMMONS_SECRET_KEY": "x"})
        assert SWITCH_INTERVAL == 0.001
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)
    finally:
        sys.setswitchinterval(before)
