"""Markdown to safe HTML: markdown-it-py (CommonMark and tables, linear time), then an allow-list sanitiser (nh3).

python-markdown took time quadratic in runs of brackets ("[" * 20000 took over a minute);
markdown-it-py parses in linear time and renders the same features the allow-list keeps.
"""

import re
from importlib.metadata import version

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "caption", "abbr", "sup", "sub",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")
# No field the editor accepts is longer (sections are capped at 20,000 characters); longer
# text is cut before it is parsed, so no input makes rendering cost more than a field's worth.
MAX_RENDERED_CHARS = 20_000

# Published text is rendered once, at publish, and the HTML stored with this version beside it:
# a page re-renders (and stores again) only what an older renderer made. Change the first part
# when the allow-list or the parser's options change; the libraries' versions count too.
RENDERER_VERSION = f"2; markdown-it-py {version('markdown-it-py')}; nh3 {version('nh3')}"

# CommonMark with tables; raw HTML stays enabled as before and nh3 keeps only the allow-list.
# Strikethrough is off: python-markdown never had it and <s> is not allowed.
_PARSER = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable("table")
_PARSER.disable("strikethrough", ignoreInvalid=True)


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
    # Tabs expanded to four columns and no newline after the last block, as python-markdown did.
    html = _PARSER.render(text[:MAX_RENDERED_CHARS].expandtabs(4)).rstrip("\n")
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
