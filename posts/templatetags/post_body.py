"""Presentation of a post's rendered (already sanitised) body."""

import re

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

register = template.Library()

_TABLE = re.compile(r"(<table\b[^>]*>.*?</table>)", re.S | re.I)


@register.filter
def scrollable_tables(html):
    """Wrap each table in a focusable region that scrolls sideways on narrow screens.

    The table keeps its own semantics (CSS on the table itself would drop them in some
    screen readers), and keyboard users can scroll the region once it has focus. Only
    fixed markup is added: ``html`` must already be sanitised (``Post.body_html`` is).
    """
    label = gettext("Table (scrolls sideways)")
    wrapped = _TABLE.sub(
        lambda match: (
            f'<div class="table-scroll" role="region" tabindex="0" aria-label="{label}">'
            f"{match.group(1)}</div>"
        ),
        str(html),
    )
    return mark_safe(wrapped)  # the input is sanitised HTML and the additions are fixed
