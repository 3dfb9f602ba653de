"""Markdown to safe HTML, for lessons and anything else editors write.

Every piece of HTML made from Markdown goes through `sanitise`: editors are trusted
with words, not with scripts. Images must live on our own host, so a lesson page
never makes a request elsewhere (and never leaks who reads it).
"""
import functools
import html
import math
import re
from dataclasses import dataclass

import markdown
import nh3
from markupsafe import Markup

from core.text import fold

WORDS_PER_MINUTE = 200  # an unhurried reader of Vietnamese prose, on a phone

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "div", "dl", "dt", "em", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "li", "mark", "ol", "p", "pre", "s", "small", "strong", "sub", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
    **{f"h{n}": {"id"} for n in range(2, 7)},
}
_NON_SLUG = re.compile(r"[^a-z0-9]+")
# What a browser drops from a URL before reading it (WHATWG URL parser), then what makes it leave our
# host: a scheme ("https:", "javascript:") or an authority (two slashes, either way round: //host, /\host).
_URL_IGNORED = re.compile(r"[\t\n\r]|^[\x00-\x20]+")
_OTHER_ORIGIN = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|[/\\]{2})")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Rendered:
    html: str
    toc_html: str
    plain_text: str
    word_count: int


def slugify(value: str, separator: str = "-") -> str:
    """Heading ids readable in a URL: "Mục đích, yêu cầu" -> "muc-dich-yeu-cau"."""
    return _NON_SLUG.sub(separator, fold(value)).strip(separator) or "muc"


def slug_within(value: str, limit: int) -> str:
    """slugify(value), cut at the last whole word that fits in ``limit`` characters (a word longer
    than the limit is cut: the address must stay short)."""
    slug = slugify(value)
    if len(slug) <= limit:
        return slug
    cut = slug[:limit + 1].rfind("-")
    return slug[:cut] if cut > 0 else slug[:limit]


def same_origin_path(value: str) -> bool:
    """A relative path or one starting with a single "/": the browser stays on our host."""
    return not _OTHER_ORIGIN.match(_URL_IGNORED.sub("", value))


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not same_origin_path(value):
        return None  # only images served by us; links may lead elsewhere (with rel="noopener noreferrer")
    return value


def sanitise(fragment: str) -> str:
    return nh3.clean(fragment, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     clean_content_tags={"script", "style", "iframe", "object", "embed", "template"},
                     attribute_filter=_keep_attribute, url_schemes={"http", "https", "mailto", "tel"},
                     link_rel="noopener noreferrer")


def plain_text(fragment: str) -> str:
    return html.unescape(nh3.clean(fragment, tags=set())).strip()


@functools.lru_cache(maxsize=256)
def render(source: str) -> Rendered:
    """Render a lesson: headings start at h2 (the page title is the h1), with ids for the contents list.

    Kept per text: every content sync renders the same lessons again (~30 ms each)."""
    md = markdown.Markdown(extensions=["extra", "sane_lists", "toc"], extension_configs={
        "toc": {"slugify": slugify, "toc_depth": "2-3", "permalink": False},
    }, output_format="html")
    body = sanitise(md.convert(source or ""))
    toc = sanitise(md.toc) if getattr(md, "toc_tokens", None) else ""
    text = plain_text(body)
    return Rendered(html=body, toc_html=toc, plain_text=text, word_count=len(_WORD.findall(text)))


@functools.lru_cache(maxsize=512)
def render_inline(source: str) -> Markup:
    """Short Markdown (a question's explanation, a contest's rules) as safe HTML.

    Kept per text: a contest's landing page renders the same rules for every visitor (~1 ms each)."""
    return Markup(sanitise(markdown.markdown(source or "", extensions=["extra", "sane_lists"])))


def reading_seconds(word_count: int) -> int:
    return max(60, math.ceil(word_count / WORDS_PER_MINUTE * 60))
