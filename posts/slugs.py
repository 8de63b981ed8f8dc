"""Readable ASCII slugs for post titles in any of the site's languages.

Django's ``slugify`` (and the admin's prepopulating script) drops every Chinese character,
so a Chinese title would get no address at all. Here Chinese characters become their pinyin
without tones (``pypinyin``, which reads the common multi-character words right: 银行 →
yin-hang), one syllable per hyphenated part, and the rest of the title is slugified as
usual::

    开放原子开源基金会举行捐赠签约仪式
        → kai-fang-yuan-zi-kai-yuan-ji-jin-hui-ju-xing-juan-zeng-qian-yue-yi-shi
    OpenHarmony 4.0 版本发布 → openharmony-4-0-ban-ben-fa-bu

Slugs are cut at a hyphen to at most ``MAX_SLUG_LENGTH`` characters, and made unique by
appending ``-2``, ``-3``, … (``unique_slug``).
"""

import re

from django.utils.text import slugify

MAX_SLUG_LENGTH = 80
FALLBACK_SLUG = "post"
SUFFIX_ROOM = "-999"
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def has_chinese(text):
    return bool(CJK.search(text or ""))


def truncate_slug(slug, max_length=MAX_SLUG_LENGTH):
    """Cut at the last hyphen that fits, so that no syllable or word is cut in half."""
    if len(slug) <= max_length:
        return slug
    cut = slug[: max_length + 1]
    head, sep, _tail = cut.rpartition("-")
    return (head if sep and head else slug[:max_length]).strip("-")


def slugify_title(title, max_length=MAX_SLUG_LENGTH):
    """An ASCII slug for ``title``: pinyin for Chinese characters, ``slugify`` for the rest.

    Returns ``""`` when nothing in the title can be spelled in ASCII (e.g. only emoji).
    """
    # lazy_pinyin gives one item per Chinese character and keeps other runs of text whole;
    # dots become hyphens so that "4.0" stays "4-0" rather than "40".
    # Imported here: pypinyin's dictionaries take ~50 MB, which a web worker that never
    # names a Chinese post should not carry.
    from pypinyin import Style, lazy_pinyin

    parts = lazy_pinyin(str(title or ""), style=Style.NORMAL, errors="default")
    words = [slugify(part.replace(".", "-")) for part in parts]
    slug = re.sub(r"-{2,}", "-", "-".join(word for word in words if word)).strip("-")
    return truncate_slug(slug, max_length)


def unique_slug(base, taken_queryset, field="slug", max_length=MAX_SLUG_LENGTH):
    """``base``, or ``base-2``, ``base-3``, …: the first one ``taken_queryset`` does not hold.

    One query: every slug that starts with ``base`` is read at once. The base is cut short
    enough to leave room for a suffix, so that every candidate starts with it.
    """
    base = truncate_slug(base or FALLBACK_SLUG, max_length - len(SUFFIX_ROOM))
    taken = set(
        taken_queryset.filter(**{f"{field}__startswith": base}).values_list(field, flat=True)
    )
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate
