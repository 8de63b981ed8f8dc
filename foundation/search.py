"""Site search: published posts, projects and public donors, on one page.

``search(params)`` takes the query string (``q``, ``type``, ``category``, ``language``,
``year``, ``page``) and returns a ``SearchResults`` for the template: per-type counts, one
paginated list (news on the "all" tab, else the chosen type), short previews of the other
types, and every title and snippet already highlighted with ``<mark>`` and HTML-escaped.

Two ways of matching, chosen by the database:

* **PostgreSQL**: full-text search. A post's title, summary and body are stored as one
  weighted ``tsvector`` (``search_document``) and its title alone as another
  (``search_title``), both kept up to date by a trigger and GIN-indexed; projects and
  donors have the same document as an expression index. The document is built by the SQL
  function ``search_words()`` (posts/migrations/0014_search_cjk_bigrams.py): English words
  stemmed, camel-case names split ("OpenHarmony" is also "Open Harmony"), and Chinese as
  overlapping pairs of characters, because the text-search parser keeps a run of Chinese
  as one "word" (捐赠 inside 开放原子开源基金会举行捐赠签约仪式 is no lexeme, but its pairs
  are). ``DocumentQuery`` turns the query into the matching ``tsquery``.
* **SQLite** (development): every query word as a substring of title, summary or body.

On both, news comes in two tiers: posts with every word in the title, then the others,
each newest first (``RankedPosts`` says why not ``ts_rank``: at 10,000 posts it cost most
of a second for a common word). Projects and donors also match words as substrings of
their name, and come with a name match first, then by name. News is counted up to
``MAX_COUNTED`` ("1000+"), which is also how far its pages go.

Queries are user input: NUL and control characters are dropped, the length is capped at
``MAX_QUERY_LENGTH``, values only ever travel as SQL parameters, and every string shown is
escaped before ``<mark>`` is added. Invalid filter values are ignored, never an error.
A search costs a fixed number of queries whatever the size of the site, and reads no
post's long text except the few shown (their ``body_html``, for a snippet).
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
from django.db.models import (
    Case,
    Expression,
    F,
    Func,
    Lookup,
    Prefetch,
    Q,
    Value,
    When,
    prefetch_related_objects,
)
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from posts.models import Category, Language, Post, published_years
from projects.models import Donor, Project

MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
# Posts are counted up to this number ("1000+"); the pages go no further.
MAX_COUNTED = 1000
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


# A tag, or a comment, in the sanitised HTML of a body (posts.markup allows no script or
# style, whose content would otherwise be text).
TAG = re.compile(r"<!--.*?-->|<[^>]*>", re.DOTALL)


def html_text(html_text):
    """The text of a sanitised HTML fragment, single-spaced; every tag counts as a space.
    A regular expression rather than ``strip_tags`` (an HTML parser, about a millisecond
    for a long body): only ever used to make a snippet, which is escaped before it is
    shown."""
    return " ".join(html.unescape(TAG.sub(" ", html_text or "")).split())


def snippet(texts, pattern, length=SNIPPET_LENGTH):
    """A highlighted excerpt around the first match in the first text that has one;
    the start of the first non-empty text when none matches. A text may be given as a
    function, called only when the texts before it have no match."""
    texts = [text for text in texts if text]
    if not texts:
        return SafeString("")
    for position, text in enumerate(texts):
        if callable(text):
            text = texts[position] = text()
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
    first = next((text for text in texts if text), "")
    return highlight(Truncator(first).chars(length), pattern)


# --- matching ---------------------------------------------------------------------------


def is_postgresql():
    return connection.vendor == "postgresql"


# CJK ideographs, as in posts/migrations/0014_search_cjk_bigrams.py: Extension A, the
# Unified block, compatibility ideographs.
HAN_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# A lower-case letter followed by a capital: "OpenHarmony" is searched as "Open Harmony".
CAMEL_CASE = re.compile(r"([a-z])([A-Z])")


class Substring(Lookup):
    """PostgreSQL: ``field ILIKE '%term%'``, or ``LIKE`` when the term has no letter case
    (Chinese), which is cheaper. Both could use a ``gin_trgm_ops`` index on the column,
    unlike Django's ``icontains`` (``UPPER(field) LIKE …``); the project and donor tables
    are small enough to go without."""

    lookup_name = "substring"  # used as an expression, never registered on a field

    def __init__(self, field_name, term):
        pattern = f"%{connection.ops.prep_for_like_query(term)}%"
        super().__init__(F(field_name), Value(pattern))
        self.operator = "ILIKE" if term.lower() != term.upper() else "LIKE"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = compiler.compile(self.lhs)
        rhs, rhs_params = compiler.compile(self.rhs)
        return f"{lhs} {self.operator} {rhs}", [*lhs_params, *rhs_params]


class Matches(Lookup):
    """``document @@ query``, with both sides given as expressions."""

    lookup_name = "matches"  # used as an expression, never registered on a field

    def as_sql(self, compiler, connection):
        lhs, lhs_params = compiler.compile(self.lhs)
        rhs, rhs_params = compiler.compile(self.rhs)
        return f"{lhs} @@ {rhs}", [*lhs_params, *rhs_params]


class StoredVector(Expression):
    """A tsvector column that a trigger keeps up to date on PostgreSQL and that is no model
    field (posts/migrations/0003 and 0014): ``search_document``, a post's weighted title,
    summary and body, or ``search_title``, its title alone."""

    def __init__(self, column):
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(output_field=SearchVectorField())
        self.column = column

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return f"{table}.{connection.ops.quote_name(self.column)}", []


def search_document(weighted_fields):
    """``search_words(field, weight) || …``: the document of a project or donor, written
    exactly as its expression index (posts/migrations/0014_search_cjk_bigrams.py) so that
    the index answers the match."""
    from django.contrib.postgres.search import SearchVectorField

    parts = [
        Func(F(name), template=f"search_words(%(expressions)s, '{weight}')")
        for name, weight in weighted_fields.items()
    ]
    return Func(
        *parts, template="(%(expressions)s)", arg_joiner=" || ", output_field=SearchVectorField()
    )


class DocumentQuery(Expression):
    """The tsquery matching a ``search_words()`` document, which is made the same way:
    ``websearch_to_tsquery`` (English configuration) over the query without its Chinese
    and with camel-case words split, AND every overlapping pair of characters of each
    Chinese run, AND a prefix query for a single Chinese character. Every value travels as
    a parameter."""

    def __init__(self, query):
        from django.contrib.postgres.search import SearchQueryField

        super().__init__(output_field=SearchQueryField())
        self.words = " ".join(CAMEL_CASE.sub(r"\1 \2", HAN_RUN.sub(" ", query)).split())
        self.pairs, self.singles = [], []
        for run in HAN_RUN.findall(query):
            if len(run) == 1:
                self.singles.append(run)
            self.pairs.extend(run[i : i + 2] for i in range(len(run) - 1))

    def as_sql(self, compiler, connection):
        parts, params = [], []
        if any(char.isalnum() for char in self.words):
            parts.append(f"websearch_to_tsquery('{SEARCH_CONFIG}'::regconfig, %s)")
            params.append(self.words)
        if self.pairs:
            parts.append("plainto_tsquery('simple'::regconfig, %s)")
            params.append(" ".join(self.pairs))
        for char in self.singles:
            parts.append("to_tsquery('simple'::regconfig, %s)")
            params.append(f"{char}:*")
        if not parts:
            return "''::tsquery", []
        return f"({' && '.join(parts)})", params


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


def match_condition(model, query, terms, weighted_fields):
    """The condition a matching project or donor meets.

    SQLite: every term is a substring of one of the fields. PostgreSQL: the same with the
    first two fields, or their search document (``search_document()``) matches the query
    (full-text search, which also finds Chinese words and the parts of camel-case names:
    see ``DocumentQuery``), in a subquery that the document's expression index answers.
    """
    fields = list(weighted_fields)
    if not is_postgresql():
        return every_term_in(fields, terms)
    found = model._default_manager.filter(
        Matches(search_document(weighted_fields), DocumentQuery(query))
    )
    return Q(pk__in=found.values("pk")) | every_term_in(fields[:2], terms)


@contextmanager
def index_lookups():
    """On PostgreSQL, answer matches from the GIN indexes, never by reading the rows' text.

    For a common word the planner prefers a sequential (or ordered) scan that evaluates the
    match on every row: it does not know that this reads back a long, TOASTed document (or
    builds a project's from its description). A bitmap from the index, exact for these
    queries, costs a fraction of that. Used around the counts (which for news also take
    the ids of the matches) and the project and donor lists; the page of news, where an
    ordered scan that stops early can be the right plan, runs outside. ``SET LOCAL`` ends
    with the transaction.
    """
    with transaction.atomic():
        if is_postgresql():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off;"
                    # A disabled plan costs 10^10, far past the point where PostgreSQL
                    # compiles the query with JIT (half a second for nothing here).
                    "SET LOCAL jit = off"
                )
        yield


# --- posts: ranked in two tiers ---------------------------------------------------------


class RankedPosts:
    """The posts matching a search, as ``Paginator`` wants them (``count()`` and slices),
    in two tiers: those with every word of the query in the title, then the others, each
    tier newest first.

    On PostgreSQL the title tier is where the stored title vector matches, the other tier
    where the stored document does and the title does not; both vectors have a GIN index.
    On SQLite a post matches when every word is a substring of its title (first tier),
    summary or body.

    Why tiers, and not ``ts_rank``: ranking reads back the long, TOASTed document of every
    match to sort them, most of the site for a common word (over 200 ms at 10,000 posts).
    Here counting takes the ids of each tier from its index's bitmap, at most
    ``MAX_COUNTED`` + 1 of them, without reading any document. A page is then the newest
    few of each tier in one ``UNION ALL``: a tier by its ids when they are all known, and
    for a word too common to count to the end (at 10,000 posts, more than one post in
    ten), by reading posts newest first until the page is full, which then stops early.
    """

    def __init__(self, posts, in_title, in_document):
        self.posts = posts
        self.in_title = in_title
        self.in_document = in_document
        self.capped = False

    def _tiers(self):
        """The title tier and the other tier, as querysets."""
        return (
            self.posts.filter(self.in_title),
            self.posts.filter(self.in_document).exclude(self.in_title),
        )

    @cached_property
    def _count(self):
        if not is_postgresql():
            found = self.posts.filter(self.in_title | self.in_document)
            found = found.order_by()[: MAX_COUNTED + 1].count()
        else:
            # Run inside index_lookups() (search() does): the ids come from the bitmaps.
            self.tier_ids = [
                list(tier.order_by().values_list("pk", flat=True)[: MAX_COUNTED + 1])
                for tier in self._tiers()
            ]
            found = sum(len(ids) for ids in self.tier_ids)
        self.capped = found > MAX_COUNTED
        return min(found, MAX_COUNTED)

    def count(self):
        """How many posts match, up to ``MAX_COUNTED`` (``capped`` tells when there are more)."""
        return self._count

    def __len__(self):
        return self.count()

    def __getitem__(self, page):
        start, stop = page.start or 0, page.stop
        if stop <= start:
            return []  # an empty page (no match at all): nothing to ask
        order = ("-publish_at", "-id")
        if not is_postgresql():
            tier = Case(When(self.in_title, then=Value(1)), default=Value(0))
            found = self.posts.filter(self.in_title | self.in_document)
            posts = found.annotate(tier=tier).order_by("-tier", *order)[start:stop]
        else:
            self.count()
            tiers = [
                tier if len(ids) > MAX_COUNTED else self.posts.filter(pk__in=ids)
                for tier, ids in zip(self._tiers(), self.tier_ids, strict=True)
            ]
            titled, others = (
                tier.annotate(tier=Value(rank)).order_by(*order)[:stop]
                for tier, rank in zip(tiers, (1, 0), strict=True)
            )
            posts = titled.union(others, all=True).order_by("-tier", *order)[start:stop]
        posts = list(posts)
        prefetch_related_objects(
            posts, Prefetch("categories", queryset=Category.objects.only("name", "slug"))
        )
        return posts


def matching_posts(query, terms, *, category=None, language=None, year=None):
    posts = Post.objects.published()
    if category:
        posts = posts.filter(categories__slug=category)
    if language:
        posts = posts.filter(language=language)
    if year:
        posts = posts.filter(publish_at__year=year)
    posts = posts.only(
        "title", "slug", "language", "publish_at", "summary", "excerpt", "body_html"
    )
    if is_postgresql():
        document_query = DocumentQuery(query)
        in_title = Matches(StoredVector("search_title"), document_query)
        in_document = Matches(StoredVector("search_document"), document_query)
    else:
        in_title = every_term_in(["title"], terms)
        in_document = every_term_in(["title", "summary", "body"], terms)
    return RankedPosts(posts, in_title, in_document)


def _ranked_by_name(queryset, terms):
    in_name = Case(When(every_term_in(["name"], terms), then=Value(1)), default=Value(0))
    return queryset.annotate(rank=in_name).order_by("-rank", "name")


def matching_projects(query, terms):
    match = match_condition(
        Project, query, terms, {"name": "A", "summary": "B", "description": "C"}
    )
    projects = Project.objects.filter(match).select_related("area")
    return _ranked_by_name(projects, terms)


def matching_donors(query, terms):
    match = match_condition(Donor, query, terms, {"name": "A", "description": "C"})
    return _ranked_by_name(Donor.objects.public().filter(match), terms)


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
    # The kinds whose count stopped at MAX_COUNTED: there are more.
    capped: set = field(default_factory=set)

    @property
    def total(self):
        return sum(self.counts.values())

    @property
    def paginated_type(self):
        return ResultType.POSTS if self.type == ResultType.ALL else self.type


def _decorate_posts(posts, pattern):
    for post in posts:
        post.highlighted_title = highlight(post.title, pattern)
        # The body is turned into text only when the summary does not show the match.
        post.snippet = snippet(
            [post.summary, lambda post=post: html_text(post.body_html), post.excerpt], pattern
        )
    return posts


def _decorate_projects(projects, pattern):
    for project in projects:
        project.highlighted_title = highlight(project.name, pattern)
        project.snippet = snippet(
            [project.summary, lambda project=project: html_text(project.description_html)],
            pattern,
        )
    return projects


def _decorate_donors(donors, pattern):
    for donor in donors:
        donor.highlighted_title = highlight(donor.name, pattern)
        donor.snippet = snippet([donor.description], pattern)
    return donors


def search(params):
    """Run the search described by the query-string ``params`` (a QueryDict or a dict)."""
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
    show_previews = result_type == ResultType.ALL and not results.news_filtered
    with index_lookups():
        results.counts = {kind: found.count() for kind, found in lists.items()}
        # Category, language and year describe news; with one chosen, only news is shown.
        previews = {
            kind: list(lists[kind][:PREVIEW_SIZE])
            for kind in (ResultType.PROJECTS, ResultType.DONORS)
            if show_previews and results.counts[kind]
        }
        paginator = Paginator(lists[paginated], settings.POSTS_PER_PAGE)
        paginator.count = results.counts[paginated]  # counted above
        if paginated != ResultType.POSTS:
            results.page = paginator.get_page(params.get("page"))
            results.page.object_list = list(results.page.object_list)
    if paginated == ResultType.POSTS:
        results.page = paginator.get_page(params.get("page"))
        results.page.object_list = list(results.page.object_list)
    if lists[ResultType.POSTS].capped:
        results.capped.add(ResultType.POSTS)

    pattern = highlight_pattern(terms)
    decorate = {
        ResultType.POSTS: _decorate_posts,
        ResultType.PROJECTS: _decorate_projects,
        ResultType.DONORS: _decorate_donors,
    }
    decorate[paginated](results.page.object_list, pattern)
    results.projects = _decorate_projects(previews.get(ResultType.PROJECTS, []), pattern)
    results.donors = _decorate_donors(previews.get(ResultType.DONORS, []), pattern)
    return results
