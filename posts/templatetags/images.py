"""Responsive images: ``{% responsive_image post "hero" %}`` and the body filter.

Both read the renditions stored on the post (``posts/images.py``) and never touch the
storage, so a list of cards costs no query and no file access per card.

- ``{% responsive_image post "hero" %}``: the detail page's hero, above the fold:
  ``loading="eager"`` and ``fetchpriority="high"``.
- ``{% responsive_image post "card" alt="" %}``: a card's thumbnail, lazy. ``alt`` defaults
  to the post's hero alt text; a card's image link repeats the title link, so cards pass
  ``alt=""``.
- ``{{ post.body_html|responsive_body_images:post.body_renditions }}``: body images from our
  media become ``<picture>`` elements with srcset.

Without renditions (an image saved before they existed, an animated GIF) the original is
shown with its own width and height.
"""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from posts import images

register = template.Library()

PRESETS = {
    "hero": {"sizes": images.HERO_SIZES, "loading": "eager", "fetchpriority": "high"},
    "card": {"sizes": images.CARD_SIZES, "loading": "lazy", "fetchpriority": None},
}


@register.simple_tag
def responsive_image(post, preset="card", alt=None, sizes=None):
    """The post's hero image as ``<picture>``; empty when the post has no hero image."""
    if not post.hero_image:
        return ""
    if preset not in PRESETS:
        raise template.TemplateSyntaxError(
            f"responsive_image: unknown preset {preset!r} (use {', '.join(PRESETS)})"
        )
    options = PRESETS[preset]
    alt = post.hero_image_alt if alt is None else alt
    sizes = sizes or options["sizes"]
    if post.hero_renditions:
        return images.picture_html(
            post.hero_renditions,
            alt=alt,
            sizes=sizes,
            loading=options["loading"],
            fetchpriority=options["fetchpriority"],
        )
    attributes = [("src", post.hero_image.url)]
    if post.hero_image_width and post.hero_image_height:
        attributes += [("width", post.hero_image_width), ("height", post.hero_image_height)]
    attributes += [("alt", alt), ("loading", options["loading"])]
    if options["fetchpriority"]:
        attributes.append(("fetchpriority", options["fetchpriority"]))
    else:
        attributes.append(("decoding", "async"))
    return format_html("<img{}>", format_html_join("", ' {}="{}"', attributes))


@register.filter
def responsive_body_images(body_html, body_renditions):
    """Body images with renditions as ``<picture>`` (input: sanitised ``body_html``)."""
    return mark_safe(images.responsive_body_html(str(body_html), body_renditions or {}))
