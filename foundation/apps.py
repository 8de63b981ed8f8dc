from django.apps import AppConfig


class FoundationConfig(AppConfig):
    """Site-wide pieces: the home page, the shared model base, set-up commands."""

    name = "foundation"
    verbose_name = "Site"
