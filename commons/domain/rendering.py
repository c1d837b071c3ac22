"""Markdown to safe HTML: python-markdown, then an allow-list sanitiser (nh3)."""

import re

import markdown as md
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "caption", "abbr", "sup", "sub",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")


def _no_disguised_scheme(tag: str, attribute: str, value: str) -> str | None:
    """Drop an href that has a forbidden scheme once its spaces are removed ("java  script:").

    nh3 passes such a value as a relative URL, and browsers do too, but a less careful
    reader of the HTML could squeeze the spaces out and run it.
    """
    if attribute != "href":
        return value
    squeezed = "".join(c for c in value if c.isprintable() and not c.isspace()).lower()
    scheme = _SCHEME.match(squeezed)
    return value if scheme is None or scheme.group(1) in URL_SCHEMES else None


def render_markdown(text: str) -> Markup:
    """Render author Markdown as HTML that can carry no script, style or dangerous URL."""
    html = md.markdown(text, extensions=["tables", "sane_lists", "fenced_code"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_no_disguised_scheme,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener",
        strip_comments=True,
    )
    return Markup(clean)  # nosec B704 - nh3 has just sanitised it against an allow-list
