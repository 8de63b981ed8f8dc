"""Corrections to Django's locale formats (FORMAT_MODULE_PATH); Django's own fill the rest."""
