class UnicodeSlugConverter:
    """A slug that may hold any letters, such as the category 基金会 (``SlugField(allow_unicode)``).

    Django's ``<str:>`` would also let through characters no slug can hold, a NUL byte
    among them, which PostgreSQL refuses outright.
    """

    regex = r"[-\w]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value
