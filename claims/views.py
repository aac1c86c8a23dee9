"""Public pages: home, conditions, claims, disagreements, the claim × source matrix, tags, search."""

from __future__ import annotations

from collections import defaultdict
from itertools import groupby

from django.conf import settings
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from taggit.models import Tag

from claims import figures
from claims.answers import (
    LEFT_OUT,
    QUESTIONS,
    SECTION_ORDER,
    SECTION_TITLES,
    VERDICT_RATINGS,
    WRONG,
    Outline,
    forest_plots,
    summary_of_findings,
    verdict_legend,
)
from claims.claimreview import claim_review_jsonld
from claims.forms import ConditionFilterForm, MatrixFilterForm, SearchForm
from claims.models import (
    Assertion,
    Claim,
    ClaimChange,
    Condition,
    ConflictEntry,
    PublishedCount,
    TaggedClaim,
    key_studies,
)
from claims.presentation import StanceTally, grade_distribution, grade_levels
from claims.public import PublicConditions, public_ids, with_publicity
from claims.search import MAX_MATCHES, normalise_query, page_count, search_page
from kb.cache import cache_public_page, check_form, check_page_number, skip_storing
from kb.pagination import paginate, query_without_page

CLAIMS_PER_PAGE = 50
MATRIX_PER_PAGE = 40
DISPUTES_PER_PAGE = 20
CONFLICT_PAIRS = 20
SEARCH_PER_PAGE = 20


def _conflict_pairs(conditions: set[int] | None = None, limit: int | None = None) -> list[tuple[Claim, Claim]]:
    """Pairs of published claims marked as conflicting, each pair once, by the first claim's text, then the
    second's (one query).

    Read in order from the stored pairs (``ConflictEntry``, claims.figures), so the first few cost the same however
    many pairs there are. With condition ids: pairs with at least one claim about one of them, found by probing the
    condition links of each pair in that order (few) rather than by collecting every claim about the condition
    (many).
    """
    rows = ConflictEntry.objects.select_related("from_claim", "to_claim")
    # Only what the pages show of each claim: its text, link, grade and verdict.
    shown = ("text", "slug", "grade", "verdict", "statement_type")
    rows = rows.only(*(f"{side}__{field}" for side in ("from_claim", "to_claim") for field in shown))
    if conditions is not None:
        # A scalar subquery per side, not EXISTS: PostgreSQL hashed every link of the condition for an EXISTS
        # (18,847 at 100,000 claims: 51 ms) to test the first 25 pairs; a scalar subquery is probed pair by pair
        # (0.1-0.3 ms; at worst, for a condition with no pair, one index probe per side of every pair).
        links = Claim.conditions.through.objects.filter(condition_id__in=list(conditions)).values("claim_id")
        rows = rows.alias(
            from_linked=Subquery(links.filter(claim=OuterRef("from_claim_id"))[:1]),
            to_linked=Subquery(links.filter(claim=OuterRef("to_claim_id"))[:1]),
        ).filter(Q(from_linked__isnull=False) | Q(to_linked__isnull=False))
    rows = rows.order_by("from_text", "to_text", "from_claim_id", "to_claim_id")
    if limit:
        rows = rows[:limit]
    return [(row.from_claim, row.to_claim) for row in rows]


@cache_public_page
def home(request: HttpRequest) -> HttpResponse:
    # Queries: public conditions with their stored counts, the stored counts per grade (claims.figures), disputed
    # claims.
    conditions = _public_conditions_with_counts()
    grades = figures.counts_of(PublishedCount.Kind.GRADE)[PublishedCount.Kind.GRADE]
    disputed = Claim.objects.published().most_disputed(8)
    return render(
        request,
        "claims/home.html",
        {
            "conditions": conditions,
            "distribution": grade_distribution(grades),
            "disputed": disputed,
            "levels": grade_levels(),
            "search_form": SearchForm(),
        },
    )


def _public_conditions_with_counts() -> list[Condition]:
    """The public conditions (``claims.public``) with ``n_claims``, their stored number of published claims
    (``claims.figures``), most claims first (one query: every condition is read, as the rule needs the conditions
    within each; a condition only a draft claim uses is left out)."""
    counted = Condition.objects.annotate(n_claims=figures.stored(PublishedCount.Kind.CONDITION))
    rows = list(with_publicity(counted.order_by("-n_claims", "name")))
    public = public_ids(rows)
    return [c for c in rows if c.pk in public]


@cache_public_page
def condition_list(request: HttpRequest) -> HttpResponse:
    # Queries: public conditions with their stored published claim counts.
    return render(request, "claims/condition_list.html", {"conditions": _public_conditions_with_counts()})


INTROS = {q.key: q.intro for q in QUESTIONS} | {
    WRONG: "Claims the sources make that the evidence contradicts; each links to what the evidence does show.",
    LEFT_OUT: "What the evidence says that none of the source articles mentions, often a risk. Editors added these "
    "so that readers see what the articles are silent about.",
}
SECTION_LIMIT = 25  # claims shown per question on an unfiltered condition page; "show all" pages through the rest


def _claims_in_order(pks: list[int]) -> list[Claim]:
    """The claims with these ids as a list shows them (``for_listing``), in the order given (one query)."""
    found = Claim.objects.for_listing().in_bulk(pks)
    return [found[pk] for pk in pks if pk in found]


@cache_public_page
def condition_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # Queries: all conditions (which are public, the hierarchy: claims.public), related conditions, the page's
    # stored figures and the first claims of each question (claims.figures; filtered: one light row per claim on
    # the page, then the claims shown: claims.answers.Outline), their key studies, the Summary of Findings (its
    # stored rows with their estimates: claims.figures), disputed claims, conflicting pairs.
    tree = PublicConditions()
    condition = tree.get(slug)
    if condition is None:  # no such condition, or only draft claims use it: private, as in the API
        raise Http404("No such condition.")
    parent, children, ids = tree.parent_of(condition), tree.children_of(condition), tree.within(condition)
    related = [c for c in condition.related.order_by("name").only("name", "slug") if tree.get(c.slug)]
    published = Claim.objects.published()
    form = ConditionFilterForm(request.GET or None)
    check_form(request, form)
    filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    page = sections = None
    if filters:
        rows = published.condition_page_rows(ids, "pk", "category", "verdict", "grade", "n_sources", "text")
        outline = Outline.of(rows)
        grades = outline.grades
        matching = outline.matching(filters)
        total = len(matching)
        page = paginate(request, matching, CLAIMS_PER_PAGE)
        shown = _claims_in_order(list(page.object_list))
    else:
        if "page" in request.GET:
            skip_storing(request)  # only a filtered list has pages
        # The stored figures and the first claims of each section (claims.figures), not every claim of the page.
        grades, section_totals = figures.page_figures(condition)
        firsts = published.for_listing().filter(figures.first_of_each_section(condition, SECTION_ORDER, SECTION_LIMIT))
        chosen = Outline.of_claims(firsts).first_of_each_section(SECTION_LIMIT)
        shown = [claim for key in SECTION_ORDER for claim in chosen.get(key, [])]
        sections = [
            {"key": key, "title": SECTION_TITLES[key], "intro": INTROS.get(key, ""),
             "claims": chosen.get(key, []), "total": section_totals.get(key, 0)}
            for key in SECTION_ORDER
        ]  # fmt: skip
        total = sum(grades.values())
    # The page was last reviewed when its bottom line was; without one, when the newest claim it shows was. (The
    # newest of all its claims would cost a datetime per claim: 12 ms of the page at 10,000 claims.)
    reviewed_dates = [d for d in (condition.reviewed_at, *(c.reviewed_at for c in shown)) if d]
    last_reviewed = condition.reviewed_at or (max(reviewed_dates) if reviewed_dates else None)
    key_studies(shown)
    findings = summary_of_findings(figures.page_findings(condition))
    disputed = Claim.objects.published().linked_to(ids).most_disputed(10)
    disputed = list(disputed.only("text", "slug", "n_supports", "n_contradicts", "n_qualifies"))
    conflicts = _conflict_pairs(conditions=ids, limit=10)
    return render(
        request,
        "claims/condition_detail.html",
        {
            "condition": condition,
            "parent": parent,
            "children": children,
            "related": related,
            "form": form,
            "page": page,
            "page_claims": shown if filters else None,
            "sections": sections,
            "total": total,
            "findings": findings,
            "last_reviewed": last_reviewed,
            "distribution": grade_distribution(grades),
            "disputed": disputed,
            "conflicts": conflicts,
            "querystring": query_without_page(request),
            "filtered": bool(filters),
            "verdicts": verdict_legend(),
        },
    )


@cache_public_page
def claim_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # Queries: claim, effect estimates + studies + conditions, assertions + sources + cited studies,
    # evidence + studies, tags, conditions, conflicting claims, related claims, grade history.
    claim = get_object_or_404(Claim.objects.published(), slug=slug)
    estimates = list(claim.effect_estimates.select_related("study", "condition"))
    assertions = list(
        claim.assertions.select_related("source", "cited_study")
        .defer("source__text")  # an article's archived text can be long; this page quotes it, never shows it
        .order_by("stance", "source__title", "offset", "pk")
    )
    evidence = list(claim.evidence.select_related("study").order_by("study__year", "study__label"))
    tags = list(claim.tags.order_by("name"))
    conditions = list(claim.conditions.order_by("name"))
    conflicting = list(claim.conflicting_claims.published().order_by("text"))
    related = _related_claims(claim, conditions, tags)
    history = _grade_history(claim)
    # Sources per stance: a source with statements of several stances counts under each, and the page says so.
    sources = StanceTally.of(assertions, "source_id")
    jsonld = None
    if claim.verdict in VERDICT_RATINGS and (claim.grade_value is not None or claim.is_good_practice):
        jsonld = claim_review_jsonld(request, claim, assertions, settings.KB_SITE_NAME)
    by_source: dict[int, dict] = {}
    for assertion in assertions:
        entry = by_source.setdefault(assertion.source_id, {"source": assertion.source, "statements": []})
        entry["statements"].append(assertion)
    return render(
        request,
        "claims/claim_detail.html",
        {
            "claim": claim,
            "assertions": assertions,
            "source_count": sources.groups,
            "source_stances": sources.phrase(),
            "mixed_sources": sources.mixed,
            "evidence": evidence,
            "tags": tags,
            "conditions": conditions,
            "conflicting": conflicting,
            "related": related,
            "history": history,
            "jsonld": jsonld,
            "judgments": _judgment_rows(claim),
            "estimates": estimates,
            "plots": forest_plots(estimates),
            "wording_by_source": list(by_source.values()),
            "verdicts": verdict_legend(),
        },
    )


def _related_claims(claim: Claim, conditions: list[Condition], tags: list[Tag], limit: int = 6) -> list[Claim]:
    """Published claims sharing the most conditions and tags with ``claim`` (one query; none without either).

    Counted over the two link tables alone (UNION ALL, then GROUP BY), so the work grows with the links of this
    claim's conditions and tags, and no join of the claims table multiplies rows. When at least ``limit`` claims
    share two links, only those are read from the claims table and ranked by text: at 100,000 claims a popular
    condition and tag are shared by tens of thousands of claims, which the ranking would all read, while those
    sharing two are a few hundred. Otherwise every claim sharing one is ranked.
    """
    parts, params = [], []
    for table, column, key, objects in (
        (Claim.conditions.through._meta.db_table, "claim_id", "condition_id", conditions),
        (TaggedClaim._meta.db_table, "content_object_id", "tag_id", tags),
    ):
        if objects:
            placeholders = ", ".join(["%s"] * len(objects))
            parts.append(f"SELECT {column} AS id FROM {table} WHERE {key} IN ({placeholders})")  # noqa: S608
            params += [o.pk for o in objects]
    if not parts:
        return []
    claims = Claim._meta.db_table
    sql = f"""
        WITH shared AS (
            SELECT links.id, COUNT(*) AS overlap FROM ({" UNION ALL ".join(parts)}) links GROUP BY links.id
        )
        SELECT c.*, shared.overlap FROM shared JOIN {claims} c ON c.id = shared.id
        WHERE c.status = %s AND c.id <> %s AND shared.overlap >= (
            SELECT CASE WHEN COUNT(*) >= %s THEN 2 ELSE 1 END FROM (
                SELECT 1 FROM shared strong JOIN {claims} s ON s.id = strong.id
                WHERE strong.overlap >= 2 AND s.status = %s AND s.id <> %s LIMIT %s
            ) enough
        )
        ORDER BY shared.overlap DESC, c.text, c.id
        LIMIT %s"""  # noqa: S608 - table names from the models; every value is a parameter
    published = Claim.Status.PUBLISHED
    return list(Claim.objects.raw(sql, [*params, published, claim.pk, limit, published, claim.pk, limit, limit]))


def _grade_history(claim: Claim) -> list:
    """The public change log: grade and verdict changes and approved revisions (wording, summary, rationale,
    judgments, statements, evidence), newest first; who made them stays internal (one query)."""
    # Only changes made while readers saw the claim: a draft's edits (and their reasons) are internal.
    changes = claim.changes.filter(field__in=ClaimChange.PUBLIC_FIELDS, public=True)
    return list(changes.order_by("-changed_at", "-pk")[:50])


def _judgment_rows(claim: Claim) -> list[tuple[str, str, str]]:
    """(domain, judgment, effect) rows for the GRADE table on the claim page."""
    rows = [("Starting level", claim.get_starting_level_display(), "")]
    for name, label in [
        ("risk_of_bias", "Risk of bias"),
        ("inconsistency", "Inconsistency"),
        ("indirectness", "Indirectness"),
        ("imprecision", "Imprecision"),
        ("publication_bias", "Publication bias"),
    ]:
        value = getattr(claim, name)
        effect = {"none": "0", "serious": "−1", "very_serious": "−2"}[value]
        rows.append((label, getattr(claim, f"get_{name}_display")(), effect))
    rows.append(
        (
            "Large effect",
            claim.get_large_effect_display(),
            f"+{claim.large_effect}" if claim.large_effect else "0",
        )
    )
    rows.append(("Dose-response", "Yes" if claim.dose_response else "No", "+1" if claim.dose_response else "0"))
    rows.append(
        (
            "Plausible confounding would reduce the effect",
            "Yes" if claim.plausible_confounding else "No",
            "+1" if claim.plausible_confounding else "0",
        )
    )
    return rows


def _quotes(assertions) -> list[Assertion]:
    """The assertions as the disagreements page quotes them: the quote, its stance and its source's title, and
    ``source_url``, worked out once per source (a page quotes a few sources hundreds of times at 100,000 claims,
    and each ``reverse()`` cost about as much as the rest of the quote's rendering)."""
    rows = list(
        assertions.select_related("source").only("claim_id", "source_id", "quote", "stance", "source__title",
                                                 "source__slug")
    )  # fmt: skip
    urls: dict[int, str] = {}
    for assertion in rows:
        if assertion.source_id not in urls:
            urls[assertion.source_id] = assertion.source.get_absolute_url()
        assertion.source_url = urls[assertion.source_id]
    return rows


@cache_public_page
def disagreements(request: HttpRequest) -> HttpResponse:
    # Queries: the stored number of disputed claims (claims.figures), page of disputed claims, their assertions +
    # sources, conflicting pairs + quotes.
    count = figures.counts_of(PublishedCount.Kind.DISPUTED)[PublishedCount.Kind.DISPUTED].get("", 0)
    page = paginate(request, Claim.objects.published().disputed(), DISPUTES_PER_PAGE, count=count)
    claims = list(page.object_list)
    quotes = defaultdict(list)
    for assertion in _quotes(Assertion.objects.filter(claim__in=claims).order_by("stance", "source__title", "offset")):
        quotes[assertion.claim_id].append(assertion)
    for claim in claims:
        claim.supporting = [a for a in quotes[claim.pk] if a.stance == "supports"]
        claim.against = [a for a in quotes[claim.pk] if a.stance != "supports"]
    # The first CONFLICT_PAIRS pairs only: a page must not grow with the knowledge base (each claim's page
    # lists all the claims it conflicts with). One more is fetched to know whether there are more.
    conflicts = _conflict_pairs(limit=CONFLICT_PAIRS + 1) if page.number == 1 else []
    more_pairs = len(conflicts) > CONFLICT_PAIRS
    conflicts = conflicts[:CONFLICT_PAIRS]
    conflict_quotes = defaultdict(list)
    if conflicts:
        ids = {c.pk for pair in conflicts for c in pair}
        supporting = Assertion.objects.filter(claim__in=ids, stance="supports").order_by("source__title", "offset")
        for assertion in _quotes(supporting):
            conflict_quotes[assertion.claim_id].append(assertion)
    pairs = [(a, conflict_quotes[a.pk], b, conflict_quotes[b.pk]) for a, b in conflicts]
    return render(
        request,
        "claims/disagreements.html",
        {
            "page": page,
            "claims": claims,
            "pairs": pairs,
            "more_pairs": more_pairs,
            "querystring": query_without_page(request),
        },
    )


STANCE_MARKS = {
    "supports": ("✓", "supports"),
    "contradicts": ("✗", "contradicts"),
    "qualifies": ("~", "qualifies"),
}


@cache_public_page
def matrix(request: HttpRequest) -> HttpResponse:
    # Queries: condition choices (the public conditions), page count, page of claims, assertions of those claims
    # + sources.
    form = MatrixFilterForm(request.GET or None, conditions=PublicConditions().conditions)
    check_form(request, form)
    claims = Claim.objects.published()
    if form.is_valid():
        if form.cleaned_data["condition"]:
            claims = claims.for_condition(form.cleaned_data["condition"])
        if form.cleaned_data["category"]:
            claims = claims.filter(category=form.cleaned_data["category"])
        if form.cleaned_data["verdict"]:
            claims = claims.filter(verdict=form.cleaned_data["verdict"])
    page = paginate(request, claims.order_by("category", "text", "pk"), MATRIX_PER_PAGE)
    rows = list(page.object_list)
    cells: dict[tuple[int, int], list[str]] = defaultdict(list)
    sources = {}
    assertions = Assertion.objects.filter(claim__in=rows).select_related("source").defer("source__text")
    for assertion in assertions.order_by("source__title"):
        sources[assertion.source_id] = assertion.source
        stances = cells[(assertion.claim_id, assertion.source_id)]
        if assertion.stance not in stances:
            stances.append(assertion.stance)
    columns = sorted(sources.values(), key=lambda s: s.title.lower())
    table = [
        (claim, [[STANCE_MARKS[s] for s in cells.get((claim.pk, source.pk), [])] for source in columns])
        for claim in rows
    ]
    return render(
        request,
        "claims/matrix.html",
        {
            "form": form,
            "page": page,
            "columns": columns,
            "table": table,
            "querystring": query_without_page(request),
        },
    )


@cache_public_page
def tag_list(request: HttpRequest) -> HttpResponse:
    # One query: the tags with their stored number of published claims (claims.figures), those with any.
    tags = Tag.objects.annotate(n_claims=figures.stored(PublishedCount.Kind.TAG)).filter(n_claims__gt=0)
    return render(request, "claims/tag_list.html", {"tags": list(tags.order_by("name"))})


def _by_category(claims) -> list[tuple[str, list[Claim]]]:
    """Claims already ordered by category, as (category label, claims) groups for the page's headings."""
    labels = dict(Claim.Category.choices)
    return [(labels[cat], list(items)) for cat, items in groupby(claims, key=lambda c: c.category)]


@cache_public_page
def tag_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # Queries: tag, page count, page of claims with stance counts, their evidence + studies.
    tag = get_object_or_404(Tag, slug=slug)
    claims = Claim.objects.published().filter(tags=tag)
    page = paginate(request, claims.for_listing().order_by("category", "text", "pk"), CLAIMS_PER_PAGE)
    if not page.object_list and page.number == 1:
        raise Http404("No published claims carry this tag.")
    key_studies(page.object_list)
    groups = _by_category(page.object_list)
    return render(
        request,
        "claims/tag_detail.html",
        {"tag": tag, "page": page, "groups": groups, "querystring": query_without_page(request)},
    )


@cache_public_page
def search_view(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    check_form(request, form)
    query, kind, hits, total, page = "", "", [], 0, None
    if form.is_valid():
        query = normalise_query(form.cleaned_data["q"])
        kind = form.cleaned_data["kind"]
    if query:
        try:
            number = int(request.GET.get("page", "1"))
        except ValueError:
            number = 1
        # search_page() keeps the number within the pages there are: a page past the last gives the last.
        hits, total, number = search_page(query, kind=kind, per_page=SEARCH_PER_PAGE, number=number)
        check_page_number(request, number)
        if not total:
            skip_storing(request)  # any string is a query: pages of no results are not kept
        # Beyond MAX_MATCHES the count stops (and PostgreSQL ranks only those): a broader query needs refining.
        pages = page_count(total, SEARCH_PER_PAGE)
        page = {
            "number": number,
            "pages": pages,
            "previous": number - 1 if number > 1 else None,
            "next": number + 1 if number < pages else None,
        }
    return render(
        request,
        "claims/search.html",
        {
            "form": form,
            "query": query,
            "hits": hits,
            "total": total,
            "more_than": f"{MAX_MATCHES:,}" if total > MAX_MATCHES else "",
            "page": page,
            "querystring": query_without_page(request),
        },
    )


@cache_public_page
def about_grading(request: HttpRequest) -> HttpResponse:
    return render(request, "claims/about_grading.html", {"levels": grade_levels(), "verdicts": verdict_legend()})
