"""Public pages rendered once per change of the commons, not on every request.

The home page, the topic index, the listings and a case study's page read the same few things
for every anonymous visitor. A rendered page is kept, per process, in a small LRU keyed by the
page (its endpoint, path values and query string) and by what it depends on: for the home,
topic and listing pages ``browsing.public_version`` (the change log's newest position and the
newest collection update), for a case study ``browsing.case_study_version`` (the change log's
newest position and that case study's own, its school's, its authors' and its published
answers' changes). A publish, a withdrawal, a revision or a featured collection changes that
key, so the next request renders afresh. Entries are also dropped
after :data:`PAGE_TTL` seconds, so what is not in the key (a school's details from an import)
shows within a minute.

Only anonymous GET requests are answered from it, and only when there is nothing personal: no
reader's school kept for the visit, no message waiting to be shown. Only a 200 page is kept,
and only when rendering it left the session untouched and it carries no CSRF token. The
response headers (security headers, caching) are added afresh on every response.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import wraps
from typing import Any, ParamSpec

from flask import Flask, Response, current_app, g, request, session
from flask.typing import ResponseReturnValue

from commons.db import db
from commons.services import browsing
from commons.web.helpers import READER_SESSION_KEY

P = ParamSpec("P")
PAGE_CACHE_SIZE = 64
PAGE_TTL = 60.0  # seconds
CSRF_FIELD = b'name="csrf_token"'


@dataclass(frozen=True)
class CachedPage:
    body: bytes
    status: int
    mimetype: str
    stored_at: float


class PageCache:
    """A bounded, thread-safe LRU of rendered pages, each kept at most ``ttl`` seconds."""

    def __init__(self, size: int = PAGE_CACHE_SIZE, ttl: float = PAGE_TTL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self.ttl = ttl
        self.clock = clock
        self._pages: OrderedDict[Hashable, CachedPage] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> CachedPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            if self.clock() - page.stored_at > self.ttl:
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return page

    def put(self, key: Hashable, body: bytes, status: int, mimetype: str) -> None:
        with self._lock:
            self._pages[key] = CachedPage(body, status, mimetype, self.clock())
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)


def page_cache(app: Flask | None = None) -> PageCache:
    """This app's page cache (made on first use)."""
    extensions = (app or current_app).extensions
    cache = extensions.get("commons_page_cache")
    if cache is None:
        cache = extensions.setdefault("commons_page_cache", PageCache())
    assert isinstance(cache, PageCache)
    return cache


def _anonymous_request() -> bool:
    """A GET with nothing personal to show: no one signed in, no reader's school, no flashed message."""
    return (request.method == "GET" and g.get("user") is None and g.get("api_token") is None
            and READER_SESSION_KEY not in session and "_flashes" not in session)


Version = Callable[[dict[str, Any]], Hashable]  # what a page depends on, from its path values


def _public_version(values: dict[str, Any]) -> Hashable:
    return browsing.public_version(db.session)


def cached_page(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Answer anonymous requests for this view from the page cache, kept per ``browsing.public_version``."""
    return _cached(view, _public_version)


def cached_page_by(version: Version) -> Callable[[Callable[P, ResponseReturnValue]], Callable[P, ResponseReturnValue]]:
    """Like :func:`cached_page`, kept per ``version(path values)``: what this page shows depends on."""

    def decorate(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
        return _cached(view, version)

    return decorate


def _cached(view: Callable[P, ResponseReturnValue], version: Version) -> Callable[P, ResponseReturnValue]:
    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        if not _anonymous_request():
            return view(*args, **kwargs)
        cache = page_cache()
        key = (request.endpoint, tuple(sorted(kwargs.items())), request.query_string, version(dict(kwargs)))
        hit = cache.get(key)
        if hit is not None:
            return Response(hit.body, status=hit.status, mimetype=hit.mimetype)
        response = current_app.make_response(view(*args, **kwargs))
        if (response.status_code == 200 and not response.is_streamed and not session.modified
                and "Set-Cookie" not in response.headers):
            body = response.get_data()
            if CSRF_FIELD not in body:
                cache.put(key, body, response.status_code, response.mimetype or "text/html")
        return response

    return wrapped
