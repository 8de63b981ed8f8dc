"""The abstract base every editable model shares.

Timestamps and who created / last changed a row, in the spirit of python.org's
``ContentManageable``. The admin fills ``created_by`` / ``updated_by`` through
``foundation.admin.ContentManageableAdmin``; nothing here does hidden I/O.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ContentManageable(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        related_name="+",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        related_name="+",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
    )

    class Meta:
        abstract = True
