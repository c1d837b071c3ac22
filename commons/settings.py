"""The Commons' settings, typed and checked in one place.

Every ``COMMONS_*`` setting is a field of :class:`Settings`, read once when the app is created
(from the environment, then the mapping given to ``create_app``) and kept with the app; the rest
of the code asks :func:`current` (or :func:`of` an app) and never parses a string itself. A value
that cannot be used stops the app at creation with a message naming the setting and what it
takes. A blank value means the setting is not set.

The app's ``config`` keeps the same keys with the typed values, so a test may still change one
there (``app.config["COMMONS_MODERATION"] = "1"``): the settings are read again, once, when
their ``COMMONS_*`` configuration has changed since they were last read.
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from flask import Flask, current_app
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from indexer.layout import Kind, VectorEncoding

PREFIX = "COMMONS_"
EXTENSION = "commons.settings"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:5000"


class SettingsError(ValueError):
    """A setting whose value cannot be used; the message names it and says what it takes."""


def _words(value: Any) -> Any:
    """Host names separated by commas or spaces."""
    return str(value).replace(",", " ").split() if isinstance(value, str) else value


def _alias(name: str) -> str:
    return PREFIX + name.upper()


class Settings(BaseModel):
    """Every setting, with its default; each field's description says what it takes."""

    model_config = ConfigDict(frozen=True, extra="ignore", alias_generator=_alias, validate_by_name=True)

    instance_path: str | None = Field(None, description="a folder")
    database_url: str | None = Field(None, description="a database URL, e.g. sqlite:///path or "
                                     "postgresql+psycopg://user@host/name")
    public_url: str = Field(DEFAULT_PUBLIC_URL, description="the address readers use, starting http:// or https://")
    public_url_set: bool = Field(False, description="true or false")
    served_url: str | None = Field(None, description="the address this server listens at")
    secret_key: str | None = Field(None, description="a long random string")
    session_cookie_secure: bool = Field(False, description="true or false (1, yes, on / 0, no, off)")
    session_lifetime_days: int = Field(14, ge=1, le=366, description="a whole number of days from 1 to 366")
    searches_per_minute: int = Field(120, ge=0, description="a whole number of searches (0 turns the limit off)")
    proxy_hops: int = Field(0, ge=0, description="a whole number of proxies")
    trusted_hosts: Annotated[list[str], BeforeValidator(_words)] = Field(
        [], description="host names separated by commas or spaces")
    moderation: bool = Field(False, description="true or false (1, yes, on / 0, no, off)")
    smtp_host: str | None = Field(None, description="a mail server's host name")
    smtp_port: int = Field(587, ge=1, le=65535, description="a port number from 1 to 65535")
    smtp_user: str | None = Field(None, description="a user name")
    smtp_password: str | None = Field(None, description="a password")
    mail_from: str = Field("commons@localhost", description="an email address")
    index_dir: str | None = Field(None, description="a folder")
    model: str = Field("all-MiniLM-L6-v2", description="a sentence-transformers model name")
    model_runtime: Literal["onnx", "torch"] = Field("onnx", description="onnx or torch")
    model_cache: str | None = Field(None, description="a folder")
    search_mode: Literal["hybrid", "dense", "lexical"] | None = Field(
        None, description="hybrid, dense or lexical")
    search_dense_weight: float | None = Field(None, ge=0, le=1, description="a number from 0 to 1")
    search_bm25_k1: float | None = Field(None, ge=0, description="a number, 0 or more")
    search_bm25_b: float | None = Field(None, ge=0, le=1, description="a number from 0 to 1")
    search_pool: int | None = Field(None, ge=1, description="a whole number of passages, 1 or more")
    index_vectors: VectorEncoding = Field("float32", description="float32, float16 or int8")
    index_kind: Kind = Field("auto", description="auto, flat or ivf")
    index_ivf_threshold: int | None = Field(None, ge=1, description="a whole number of vectors, 1 or more")
    index_nprobe: int | None = Field(None, ge=1, description="a whole number of lists, 1 or more")
    model_threads: int | None = Field(None, ge=1, description="a whole number of threads, 1 or more")
    faiss_threads: int | None = Field(None, ge=1, description="a whole number of threads, 1 or more")

    @field_validator("public_url", "served_url")
    @classmethod
    def _an_address(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value.strip())
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("not a web address")
        return value

    @field_validator("database_url")
    @classmethod
    def _a_database(cls, value: str | None) -> str | None:
        if value is not None and "://" not in value:
            raise ValueError("not a database URL")
        return value

    @classmethod
    def read(cls, raw: Mapping[str, Any], instance_path: str | None = None) -> "Settings":
        """The settings in ``raw`` (its ``COMMONS_*`` keys), with the defaults that depend on the instance folder."""
        data = {key: value for key, value in raw.items()
                if key.startswith(PREFIX) and not (isinstance(value, str) and not value.strip())}
        data.setdefault(_alias("public_url_set"), _alias("public_url") in data)
        # unset, the public address is where `commons serve` listens (it passes that on), else the default
        data.setdefault(_alias("public_url"), data.get(_alias("served_url")) or DEFAULT_PUBLIC_URL)
        if instance_path is not None:
            data.setdefault(_alias("database_url"), "sqlite:///" + instance_path + "/commons.db")
            data.setdefault(_alias("index_dir"), str(Path(instance_path) / "index"))
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            raise SettingsError("; ".join(_problem(cls, e) for e in error.errors())) from None

    @property
    def public_base(self) -> str:
        """The public address with no trailing slash: every absolute link starts with it."""
        return self.public_url.rstrip("/")

    @property
    def allowed_hosts(self) -> list[str]:
        """The hosts requests may name: the configured public URL's, plus ``COMMONS_TRUSTED_HOSTS``.

        Empty (every host accepted) unless ``COMMONS_PUBLIC_URL`` is set to something other than the
        default, so a development server on 127.0.0.1 or localhost keeps working. Mail links never
        use the request's host either way.
        """
        if not self.public_url_set or self.public_base == DEFAULT_PUBLIC_URL:
            return []
        host = urlsplit(self.public_url.strip()).hostname
        return [name for name in ([host] if host else []) + self.trusted_hosts if name]

    @property
    def mail(self) -> dict[str, Any]:
        """How to send mail (``COMMONS_SMTP_*``, ``COMMONS_MAIL_FROM``): the mailer's arguments; no host, the outbox
        alone."""
        return {"host": self.smtp_host, "port": self.smtp_port, "username": self.smtp_user,
                "password": self.smtp_password, "sender": self.mail_from}

    def as_config(self) -> dict[str, Any]:
        """The settings under their ``COMMONS_*`` keys, typed (those not set are left out)."""
        return {key: value for key, value in self.model_dump(by_alias=True).items() if value is not None}


def given(config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``COMMONS_*`` environment variables, then ``config`` (which may hold other Flask settings too)."""
    found: dict[str, Any] = {key: value for key, value in os.environ.items() if key.startswith(PREFIX)}
    found.update(config or {})
    return found


def _problem(model: type[Settings], error: Any) -> str:
    key = str(error["loc"][0]) if error["loc"] else ""
    field = next((f for name, f in model.model_fields.items() if _alias(name) == key), None)
    expected = field.description if field is not None else error["msg"]
    return f"{key} must be {expected}, not {error['input']!r}"


def _raw(config: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in config.items() if key.startswith(PREFIX)}


def keep(app: Flask, settings: Settings) -> None:
    """Keep ``settings`` with ``app``, and their values in its configuration."""
    app.config.update(settings.as_config())
    app.extensions[EXTENSION] = (_raw(app.config), settings)


def of(app: Flask) -> Settings:
    """The app's settings: those read at its creation, unless its ``COMMONS_*`` configuration changed since."""
    kept = app.extensions.get(EXTENSION)
    raw = _raw(app.config)
    if kept is not None and kept[0] == raw:
        settings: Settings = kept[1]
        return settings
    settings = Settings.read(raw, app.instance_path)
    keep(app, settings)
    return settings


def change(app: Flask, **values: Any) -> Settings:
    """Change settings of a running app (``commons serve`` sets the public address it listens at)."""
    app.config.update({_alias(name): value for name, value in values.items()})
    return of(app)


def current() -> Settings:
    """The settings of the app handling this request or command."""
    return of(current_app._get_current_object())  # type: ignore[attr-defined]  # the app behind the proxy
