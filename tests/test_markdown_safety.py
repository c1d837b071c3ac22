"""render_markdown cannot be made to emit script, event handlers, styles or dangerous URLs.

Every XSS payload in PAYLOADS is placed in every Markdown context in CONTEXTS, rendered, and
the HTML is parsed with the standard library's HTMLParser. The test proves that the output
holds only tags from the allow-list in commons.domain.rendering, no event-handler, style, srcdoc,
src or formaction attribute, no href with a scheme other than http, https or mailto, no
comment or declaration, and no unescaped "<script"; and that inside a fenced code block a
payload is shown as text. A few positive tests show that ordinary Markdown still renders.
"""

import re
from html.parser import HTMLParser

import pytest

from commons.domain.rendering import ALLOWED_TAGS, render_markdown

Attributes = list[tuple[str, str | None]]

PAYLOADS: dict[str, str] = {
    # Script tags.
    "script": "<script>alert(1)</script>",
    "script-upper-src": "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "script-split": "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "script-unclosed": "<script>alert(1)",
    # Event handlers.
    "img-onerror": "<img src=x onerror=alert(1)>",
    "img-onerror-unclosed": "<img src=x onerror=alert(1)",
    "body-onload": "<body onload=alert(1)>",
    "a-onmouseover": '<a href="#" onmouseover="alert(1)">hover</a>',
    "p-mixed-case-handler": "<p OnMouseOver=alert(1)>x</p>",
    "details-ontoggle": "<details open ontoggle=alert(1)>x</details>",
    "input-onfocus": "<input autofocus onfocus=alert(1)>",
    "video-source-onerror": "<video><source onerror=alert(1)></video>",
    # Bare dangerous URLs, as link targets or autolinks.
    "javascript": "javascript:alert(1)",
    "javascript-mixed-case": "JaVaScRiPt:alert(1)",
    "vbscript": "VBScript:MsgBox(1)",
    "data-html-base64": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data-upper-html": "DATA:text/html,<script>alert(1)</script>",
    "javascript-decimal-entity": "&#106;avascript:alert(1)",
    "javascript-hex-entities": "&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)",
    "javascript-padded-entities": "&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099"
    "&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)",
    "javascript-colon-entity": "javascript&colon;alert(1)",
    "javascript-tab": "java\tscript:alert(1)",
    "javascript-newline": "java\nscript:alert(1)",
    "javascript-tab-entity": "java&#09;script:alert(1)",
    "javascript-newline-entity": "java&#x0A;script:alert(1)",
    "javascript-leading-control": " \x01javascript:alert(1)",
    "javascript-double-encoded": "&amp;#106;avascript:alert(1)",
    "link-title-breakout": 'https://ok.example" onmouseover="alert(1)',
    # Dangerous URLs in raw HTML.
    "a-javascript": '<a href="javascript:alert(1)">x</a>',
    "a-spaced-mixed-case": '<a href="  JaVaScRiPt:alert(1)">x</a>',
    "a-tab-entity": "<a href='jav&#x09;ascript:alert(1)'>x</a>",
    "a-entity-in-scheme": '<a href="javas&#99;ript:alert(1)">x</a>',
    "a-vbscript": '<a href="vbscript:msgbox(1)">x</a>',
    "a-data": "<a href=data:text/html,%3Cscript%3Ealert(1)%3C/script%3E>x</a>",
    # Dangerous elements.
    "svg-onload": "<svg onload=alert(1)>",
    "svg-script": "<svg><script>alert(1)</script></svg>",
    "svg-xlink": '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
    "math-href": '<math href="javascript:alert(1)">x</math>',
    "math-mxss": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "iframe-javascript": '<iframe src="javascript:alert(1)"></iframe>',
    "iframe-srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "object-data": '<object data="javascript:alert(1)"></object>',
    "embed-svg": '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "style-tag": "<style>body{background:url(javascript:alert(1))}</style>",
    "link-stylesheet": '<link rel=stylesheet href="javascript:alert(1)">',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "base-href": '<base href="javascript:alert(1)//">',
    "form-formaction": '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">x</button></form>',
    "noscript-mxss": '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "template-script": "<template><script>alert(1)</script></template>",
    # Inline styles.
    "p-style": '<p style="background:url(javascript:alert(1))">x</p>',
    "a-style-overlay": '<a href="https://ok.example" style="position:fixed;inset:0">x</a>',
    # Comments, CDATA and broken quoting.
    "comment-script": "<!--<script>alert(1)</script>-->",
    "conditional-comment": "<!--[if gte IE 4]><script>alert(1)</script><![endif]-->",
    "cdata": "<![CDATA[<script>alert(1)</script>]]>",
    "nested-quotes-title": "<a href=\"x\" title='\"><script>alert(1)</script>'>x</a>",
    "attribute-breakout": '"><img src=x onerror=alert(1)>',
    "single-quote-breakout": "'><svg/onload=alert(1)>",
    "img-quote-confusion": '<img """><script>alert(1)</script>">',
}

CONTEXTS: dict[str, str] = {
    "inline": "Before PAYLOAD after.",
    "link-url": "[x](PAYLOAD)",
    "reference-link": "See [x][ref].\n\n[ref]: PAYLOAD",
    "autolink": "<PAYLOAD>",
    "image": "![PAYLOAD](PAYLOAD)",
    "html-block": "Intro.\n\n<div>\nPAYLOAD\n</div>\n\nOutro.",
    "blockquote": "> PAYLOAD",
    "list-item": "- first\n- PAYLOAD\n- last",
    "table-cell": "| a | b |\n| --- | --- |\n| PAYLOAD | c |",
    "fenced-code": "```\nPAYLOAD\n```",
}

FORBIDDEN_ATTRIBUTES = {"style", "srcdoc", "src", "formaction"}
SAFE_SCHEMES = {"http", "https", "mailto"}
SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")


class ParsedHtml(HTMLParser):
    """Every start tag with its attributes, the text inside <code>, and any other markup."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, Attributes]] = []
        self.code_text = ""
        self.other_markup: list[str] = []
        self._code_depth = 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: Attributes) -> None:
        self.tags.append((tag, attrs))
        if tag == "code":
            self._code_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "code":
            self._code_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._code_depth:
            self.code_text += data

    def handle_comment(self, data: str) -> None:
        self.other_markup.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.other_markup.append(f"<!{decl}>")

    def unknown_decl(self, data: str) -> None:
        self.other_markup.append(f"<![{data}]>")

    def handle_pi(self, data: str) -> None:
        self.other_markup.append(f"<?{data}>")


def render(markdown: str) -> str:
    return str(render_markdown(markdown))


def href_is_safe(href: str) -> bool:
    """True unless the href has a scheme other than http, https or mailto.

    HTMLParser has already decoded character references (with html.unescape), as a browser
    does. Whitespace and control characters are then removed anywhere and case is ignored,
    which is stricter than a browser (it would not join "java  script:").
    """
    visible = "".join(c for c in href if c.isprintable() and not c.isspace()).lower()
    scheme = SCHEME.match(visible)
    return scheme is None or scheme.group(1) in SAFE_SCHEMES


def attribute_problems(tag: str, attrs: Attributes) -> list[str]:
    problems = []
    for name, value in attrs:
        if name.startswith("on") or name in FORBIDDEN_ATTRIBUTES:
            problems.append(f"<{tag}> has a {name} attribute")
        if name == "href" and not href_is_safe(value or ""):
            problems.append(f"<{tag}> has href={value!r}")
    return problems


def safety_problems(html: str) -> list[str]:
    """Everything in rendered HTML that could run script, load content or restyle the page."""
    parsed = ParsedHtml(html)
    problems = [f"<{tag}> is not an allowed tag" for tag, _ in parsed.tags if tag not in ALLOWED_TAGS]
    for tag, attrs in parsed.tags:
        problems.extend(attribute_problems(tag, attrs))
    problems.extend(f"{markup} survived" for markup in parsed.other_markup)
    if "<script" in html.lower():
        problems.append("unescaped <script")
    return problems


def tag_names(html: str) -> set[str]:
    return {tag for tag, _ in ParsedHtml(html).tags}


def links(html: str) -> list[dict[str, str | None]]:
    return [dict(attrs) for tag, attrs in ParsedHtml(html).tags if tag == "a"]


@pytest.mark.parametrize("context", CONTEXTS.values(), ids=list(CONTEXTS))
@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=list(PAYLOADS))
def test_payload_renders_safely(payload: str, context: str) -> None:
    html = render(context.replace("PAYLOAD", payload))
    assert safety_problems(html) == [], html


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=list(PAYLOADS))
def test_payload_in_fenced_code_is_shown_as_text(payload: str) -> None:
    parsed = ParsedHtml(render(CONTEXTS["fenced-code"].replace("PAYLOAD", payload)))
    assert [tag for tag, _ in parsed.tags] == ["pre", "code"]
    assert parsed.code_text == payload.expandtabs(4) + "\n"  # python-markdown expands tabs


def test_emphasis_and_lists_render() -> None:
    html = render("Some *gentle* and **strong** words.\n\n- one\n- two\n\n1. first\n2. second")
    assert tag_names(html) == {"p", "em", "strong", "ul", "ol", "li"}


def test_a_table_renders() -> None:
    html = render("| Year | Attendance |\n| --- | --- |\n| 2023/24 | 94% |")
    assert tag_names(html) == {"table", "thead", "tbody", "tr", "th", "td"}


@pytest.mark.parametrize(
    ("markdown", "href"),
    [
        ("[our report](https://school.example/report)", "https://school.example/report"),
        ("Write to [the head](mailto:head@school.example).", "mailto:head@school.example"),
        ("<https://school.example/>", "https://school.example/"),
        ("[the method](#what-we-did)", "#what-we-did"),
    ],
    ids=["https", "mailto", "autolink", "fragment"],
)
def test_safe_links_keep_their_href_and_get_nofollow(markdown: str, href: str) -> None:
    [link] = links(render(markdown))
    assert link["href"] == href
    assert "nofollow" in (link["rel"] or "").split()


def test_output_is_markup_safe_to_insert_in_a_template() -> None:
    assert render_markdown("x < y & z").__html__() == "<p>x &lt; y &amp; z</p>"
