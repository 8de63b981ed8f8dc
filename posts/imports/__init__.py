"""Bringing posts into the CMS, one module per source format.

- ``posts.imports.jekyll``: Markdown files of a Jekyll site (folders, single files, a zip).

The management commands and the admin's Import page are thin wrappers around these modules.
"""
