"""Site search: published posts, projects and public donors, on one page.

``search(params)`` takes the query string (``q``, ``type``, ``category``, ``language``,
``year``, ``page``) and returns a ``SearchResults`` for the template: per-type counts, one
paginated list (news on the "all" tab, else the chosen type), short previews of the other
types, and every title and snippet already highlighted with ``<mark>`` and HTML-escaped.

Two ways of matching, chosen by the database:

* **PostgreSQL**: full-text search (a weighted ``tsvector`` over title, summary and body
  against ``websearch_to_tsquery``) OR every query word as a substring (``ILIKE``) OR
  trigram word similarity with the title. The substring arm is what finds Chinese: the
  text-search parser keeps a run of Chinese characters as one "word", so 捐赠 inside
  开放原子开源基金会举行捐赠签约仪式 is no lexeme of its own, but it is a substring. Ranking adds
  ``ts_rank``, a bonus when every word is in the title, and the title's trigram similarity.
  For posts the tsvector is stored in the table and every arm has a GIN index
  (``posts/migrations/0003_search_indexes.py``); projects and donors are few and are
  matched on the fly.
* **SQLite** (development): every query word as a substring of title, summary or body,
  ranked title match first, then summary match, then newest.

Queries are user input: NUL and control characters are dropped, the length is capped at
``MAX_QUERY_LENGTH``, values only ever travel as SQL parameters, and every string shown is
escaped before ``<mark>`` is added. Invalid filter values are ignored, never an error.
A search costs a fixed number of queries whatever the size of the site.
"""

import html
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection, transaction
from django.db.models import Case, Expression, F, FloatField, Lookup, Prefetch, Q, Value, When
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from posts.models import Category, Language, Post, published_years
from projects.models import Donor, Project

MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
PREVIEW_SIZE = 5
SNIPPET_LENGTH = 240
# The PostgreSQL text-search configuration; the GIN index is built with the same one.
SEARCH_CONFIG = "english"


class ResultType:
    ALL = "all"
    POSTS = "posts"
    PROJECTS = "projects"
    DONORS = "donors"

    choices = [
        (ALL, _("Everything")),
        (POSTS, _("News")),
        (PROJECTS, _("Projects")),
        (DONORS, _("Donors")),
    ]


class SearchForm(forms.Form):
    """The query and its filters. A value that does not validate is simply not applied."""

    q = forms.CharField(label=_("Search for"), required=False, strip=False)
    type = forms.ChoiceField(label=_("Show"), choices=ResultType.choices, required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("Any language")), *Language.choices],
        required=False,
    )
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, categories=(), years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Any category"))] + [
            (category.slug, category.name) for category in categories
        ]
        self.fields["year"].choices = [("", _("Any year"))] + [(year, year) for year in years]

    def value(self, name):
        """The cleaned value of a field, or None when it is absent or invalid."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name) or None


# --- the query --------------------------------------------------------------------------


def clean_query(raw):
    """Printable text, single-spaced, at most ``MAX_QUERY_LENGTH`` characters.

    Drops NUL (PostgreSQL refuses it in a string) and every other control or format
    character (line breaks and tabs become spaces), so what is searched for is what the
    visitor could have typed.
    """
    raw = str(raw or "")[: MAX_QUERY_LENGTH * 4]
    text = "".join(char if char.isprintable() else (" " if char.isspace() else "") for char in raw)
    return " ".join(text.split())[:MAX_QUERY_LENGTH].strip()


def _is_edge_junk(char):
    return unicodedata.category(char)[0] in "PSZ"


def query_terms(query):
    """Words of the query, without surrounding punctuation; terms with no letter or digit
    (``--``, ``;``, ``***``) are dropped. At most ``MAX_TERMS``, in order, without repeats."""
    terms = []
    for word in query.split():
        start, end = 0, len(word)
        while start < end and _is_edge_junk(word[start]):
            start += 1
        while end > start and _is_edge_junk(word[end - 1]):
            end -= 1
        term = word[start:end]
        if (
            term
            and any(char.isalnum() for char in term)
            and term.casefold() not in (existing.casefold() for existing in terms)
        ):
            terms.append(term)
    return terms[:MAX_TERMS]


# --- highlighting -----------------------------------------------------------------------

ASCII_WORD = re.compile(r"[A-Za-z]{5,}")


def highlight_pattern(terms):
    """A case-insensitive pattern for the terms, longest first.

    Longer English words also match their stem's other forms (``donations`` marks
    ``donation``), as full-text search would have found them.
    """
    alternatives = set()
    for term in terms:
        alternatives.add(re.escape(term))
        if ASCII_WORD.fullmatch(term):
            stem = term[: max(4, len(term) - 3)]
            alternatives.add(rf"(?<!\w){re.escape(stem)}\w*")
    if not alternatives:
        return None
    return re.compile("|".join(sorted(alternatives, key=len, reverse=True)), re.IGNORECASE)


def highlight(text, pattern):
    """``text`` escaped, with ``<mark>`` around every match of ``pattern``."""
    text = str(text or "")
    if pattern is None:
        return escape(text)
    parts, last = [], 0
    for match in pattern.finditer(text):
        if match.end() == match.start():
            continue
        parts.append(escape(text[last : match.start()]))
        parts.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped


def plain_text(html_text):
    return " ".join(html.unescape(strip_tags(html_text or "")).split())


def snippet(texts, pattern, length=SNIPPET_LENGTH):
    """A highlighted excerpt around the first match in the first text that has one;
    the start of the first non-empty text when none matches."""
    texts = [text for text in texts if text]
    if not texts:
        return SafeString("")
    for text in texts:
        match = pattern.search(text) if pattern else None
        if match:
            start = max(0, match.start() - length // 4)
            if start:
                # Start on a word boundary when the text has spaces (not in Chinese).
                space = text.find(" ", start, match.start())
                start = space + 1 if space != -1 else start
            end = min(len(text), start + length)
            excerpt = text[start:end]
            prefix = "… " if start else ""
            suffix = " …" if end < len(text) else ""
            return mark_safe(f"{prefix}{highlight(excerpt, pattern)}{suffix}")  # noqa: S308
    return highlight(Truncator(texts[0]).chars(length), pattern)


# --- matching ---------------------------------------------------------------------------


def is_postgresql():
    return connection.vendor == "postgresql"


class Substring(Lookup):
    """PostgreSQL: ``field ILIKE '%term%'``, or ``LIKE`` when the term has no letter case
    (Chinese), which is cheaper. Both are served by a ``gin_trgm_ops`` index on the column,
    unlike Django's ``icontains`` (``UPPER(field) LIKE …``)."""

    lookup_name = "substring"  # used as an expression, never registered on a field

    def __init__(self, field_name, term):
        pattern = f"%{connection.ops.prep_for_like_query(term)}%"
        super().__init__(F(field_name), Value(pattern))
        self.operator = "ILIKE" if term.lower() != term.upper() else "LIKE"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = compiler.compile(self.lhs)
        rhs, rhs_params = compiler.compile(self.rhs)
        return f"{lhs} {self.operator} {rhs}", [*lhs_params, *rhs_params]


class StoredSearchDocument(Expression):
    """``posts_post.search_document``: the tsvector a trigger keeps up to date on PostgreSQL
    (posts/migrations/0003_search_indexes.py). Not a model field, so named here."""

    column = "search_document"

    def __init__(self):
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(output_field=SearchVectorField())

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return f"{table}.{connection.ops.quote_name(self.column)}", []


def every_term_in(fields, terms):
    """Each term is a substring of at least one of ``fields`` (ignoring letter case)."""
    condition = Q()
    for term in terms:
        any_field = Q()
        for name in fields:
            if is_postgresql():
                any_field |= Substring(name, term)
            else:
                any_field |= Q(**{f"{name}__icontains": term})
        condition &= any_field
    return condition


def match(queryset, query, terms, weighted_fields, title_field, stored_document=False):
    """Filter ``queryset`` to rows matching the query and annotate ``rank`` (higher first).

    ``weighted_fields`` maps field names to a full-text weight ("A" to "D"); ``title_field``
    is the one whose match ranks a row first. With ``stored_document`` the PostgreSQL
    tsvector is read from the table rather than computed from the fields.
    """
    fields = list(weighted_fields)
    text_match = every_term_in(fields, terms)
    in_title = When(every_term_in([title_field], terms), then=Value(1.0))
    title_bonus = Case(in_title, default=Value(0.0), output_field=FloatField())

    if not is_postgresql():
        in_second = When(every_term_in(fields[1:2], terms), then=Value(0.5))
        rank = title_bonus + Case(in_second, default=Value(0.0), output_field=FloatField())
        return queryset.filter(text_match).annotate(rank=rank)

    from django.contrib.postgres.lookups import TrigramWordSimilar
    from django.contrib.postgres.search import (
        SearchQuery,
        SearchRank,
        SearchVector,
        TrigramWordSimilarity,
    )

    if stored_document:
        vector = StoredSearchDocument()
    else:
        vector = None
        for name, weight in weighted_fields.items():
            part = SearchVector(name, weight=weight, config=SEARCH_CONFIG)
            vector = part if vector is None else vector + part
    search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    fuzzy_title = TrigramWordSimilar(F(title_field), Value(query))
    rank = (
        SearchRank(F("document"), search_query)
        + title_bonus
        + TrigramWordSimilarity(Value(query), title_field)
    )
    return (
        queryset.alias(document=vector)
        .filter(Q(document=search_query) | text_match | fuzzy_title)
        .annotate(rank=rank)
    )


def matching_posts(query, terms, *, category=None, language=None, year=None):
    posts = Post.objects.published()
    if category:
        posts = posts.filter(categories__slug=category)
    if language:
        posts = posts.filter(language=language)
    if year:
        posts = posts.filter(publish_at__year=year)
    posts = match(
        posts,
        query,
        terms,
        {"title": "A", "summary": "B", "body": "C"},
        "title",
        stored_document=True,
    )
    return (
        posts.defer("body", "extras")
        .prefetch_related(Prefetch("categories", queryset=Category.objects.only("name", "slug")))
        .order_by("-rank", "-publish_at", "-id")
    )


def matching_projects(query, terms):
    projects = match(
        Project.objects.all(),
        query,
        terms,
        {"name": "A", "summary": "B", "description": "C"},
        "name",
    )
    return projects.select_related("area").order_by("-rank", "name")


def matching_donors(query, terms):
    donors = match(Donor.objects.public(), query, terms, {"name": "A", "description": "C"}, "name")
    return donors.order_by("-rank", "name")


# --- results ----------------------------------------------------------------------------


@dataclass
class SearchResults:
    form: SearchForm
    query: str = ""
    terms: list = field(default_factory=list)
    type: str = ResultType.ALL
    counts: dict = field(default_factory=dict)
    page: Page | None = None
    # On the "all" tab: the first few projects and donors beside the paginated news.
    projects: list = field(default_factory=list)
    donors: list = field(default_factory=list)
    news_filtered: bool = False

    @property
    def total(self):
        return sum(self.counts.values())

    @property
    def paginated_type(self):
        return ResultType.POSTS if self.type == ResultType.ALL else self.type


def _decorate_posts(posts, pattern):
    for post in posts:
        post.highlighted_title = highlight(post.title, pattern)
        post.snippet = snippet([post.summary, plain_text(post.body_html), post.excerpt], pattern)
    return posts


def _decorate_projects(projects, pattern):
    for project in projects:
        project.highlighted_title = highlight(project.name, pattern)
        project.snippet = snippet([project.summary, plain_text(project.description_html)], pattern)
    return projects


def _decorate_donors(donors, pattern):
    for donor in donors:
        donor.highlighted_title = highlight(donor.name, pattern)
        donor.snippet = snippet([donor.description], pattern)
    return donors


@contextmanager
def search_planner():
    """On PostgreSQL, price operator calls as what they are here: ILIKE and ``@@`` on long,
    TOASTed bodies. With the default cost the planner prefers a sequential scan that runs
    them on every post over the GIN indexes (about 1 s against 45 ms for a rare word at
    10,000 posts on the test machine); it still picks the scan when a large share of the
    posts match, where that is the faster plan. ``SET LOCAL`` ends with the transaction."""
    if not is_postgresql():
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL cpu_operator_cost = 0.1")
        yield


def search(params):
    """Run the search described by the query-string ``params`` (a QueryDict or a dict)."""
    with search_planner():
        return _search(params)


def _search(params):
    categories = Category.objects.only("name", "slug")
    years = [date.year for date in published_years()]
    form = SearchForm(params, categories=categories, years=years)
    form.is_valid()

    query = clean_query(params.get("q", ""))
    terms = query_terms(query)
    result_type = form.value("type") or ResultType.ALL
    filters = {name: form.value(name) for name in ("category", "language", "year")}
    results = SearchResults(
        form=form,
        query=query,
        terms=terms,
        type=result_type,
        news_filtered=any(filters.values()),
    )
    if not terms:
        return results

    lists = {
        ResultType.POSTS: matching_posts(query, terms, **filters),
        ResultType.PROJECTS: matching_projects(query, terms),
        ResultType.DONORS: matching_donors(query, terms),
    }
    paginated = results.paginated_type
    paginator = Paginator(lists[paginated], settings.POSTS_PER_PAGE)
    results.page = paginator.get_page(params.get("page"))
    results.page.object_list = list(results.page.object_list)
    results.counts = {
        kind: paginator.count if kind == paginated else queryset.count()
        for kind, queryset in lists.items()
    }

    pattern = highlight_pattern(terms)
    decorate = {
        ResultType.POSTS: _decorate_posts,
        ResultType.PROJECTS: _decorate_projects,
        ResultType.DONORS: _decorate_donors,
    }
    decorate[paginated](results.page.object_list, pattern)
    if result_type == ResultType.ALL and not results.news_filtered:
        # Category, language and year describe news; with one chosen, only news is shown.
        if results.counts[ResultType.PROJECTS]:
            results.projects = _decorate_projects(
                list(lists[ResultType.PROJECTS][:PREVIEW_SIZE]), pattern
            )
        if results.counts[ResultType.DONORS]:
            results.donors = _decorate_donors(
                list(lists[ResultType.DONORS][:PREVIEW_SIZE]), pattern
            )
    return results
