"""Articles' Markdown as HTML: CommonMark with tables, raw HTML escaped (never passed through),
and links limited to safe schemes by markdown-it's own link check."""

from django import template
from django.utils.safestring import SafeString
from markdown_it import MarkdownIt

register = template.Library()
_MD = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


@register.filter
def markdown(text: str) -> SafeString:
    """Render an article's Markdown; its HTML tags show as text."""
    html: str = _MD.render(text or "")
    # html is off: every tag written in the Markdown is escaped, so the output is safe.
    return SafeString(html)
