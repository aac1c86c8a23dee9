"""Importing an article and deciding on its candidates: each step in one transaction."""

from __future__ import annotations

import copy
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_update_with_history

from claims.models import Assertion, Claim, Condition, Grade, Status
from claims.quotes import OffsetMap, locate_quote, locate_quote_from, relocate_quote
from claims.search import index_claim
from importer.embedding import CachedEmbedder, LazyEncoder, ModelUnavailable, present
from importer.extract import (
    MATCH_SCORE,
    SKIPPED_CLAUSES,
    SKIPPED_REASONS,
    ClaimIndex,
    ClaimRecord,
    ConditionRecord,
    Sentence,
    StudyRecord,
    condition_names,
    extract,
    pack_terms,
    rank_clause,
    relevant_clauses,
    semantic_key,
    split_sentences,
    stance_cue,
    stance_toward,
    term_digest,
    term_vectors,
    unpack_terms,
)
from importer.indexstore import IndexStore
from importer.models import Candidate, SourceSnapshot, TextEmbedding, TextTerms
from importer.text import InputError, readable_document
from kb.cache import bump_content_version
from revisions import services as revisions
from revisions.models import Revision
from sources.models import Source, Study, text_sha256


@dataclass
class ImportSummary:
    source: Source
    created_source: bool = False
    unchanged: bool = False
    sentences: int = 0
    candidates: int = 0
    matched: int = 0
    new: int = 0
    flagged: list[int] = field(default_factory=list)
    relocated: int = 0
    replaced: int = 0  # undecided candidates of the earlier version, replaced by this version's
    already_decided: int = 0  # clauses an editor accepted or rejected in an earlier version, not proposed again
    kept: list[str] = field(default_factory=list)  # details given that differ from the known source's, not applied
    semantic_off: str = ""  # why sentence embeddings did not take part in the suggestions ("" when they did)
    embedded: int = 0  # texts embedded for the first time by this import
    skipped: Counter = field(default_factory=Counter)  # sentences not proposed, by reason (SKIPPED_REASONS)
    furniture: int = 0  # lines of an HTML page dropped as menus, banners, share bars, teasers or comments
    faq_from_data: int = 0  # FAQ questions added with their answers from the page's JSON-LD, not its visible text
    revision: Revision | None = None  # a public source's new text, waiting for a reviewer (nothing else was written)
    already_waiting: bool = False  # ... and that text was waiting already, from an earlier import
    approved_version: bool = False  # candidates proposed for a public source's new text once it was approved

    def lines(self) -> list[str]:
        kept = (
            [f"The source keeps its {' and '.join(self.kept)}; change {'them' if len(self.kept) > 1 else 'it'} on "
             "its admin page."]
            if self.kept
            else []
        )  # fmt: skip
        if self.unchanged:
            return [
                f"“{self.source.title}” ({self.source.slug}) is already archived with this exact text: nothing new "
                "was created.",
                *kept,
            ]
        if self.revision is not None:
            return [*self._waiting_lines(), *kept]
        verb = "Created" if self.created_source else "Updated"
        if self.approved_version:
            verb = "Proposed candidates for the approved new text of"
        lines = [
            f"{verb} source “{self.source.title}” ({self.source.slug}).",
            f"Sentences read: {self.sentences}. Candidates: {self.candidates} "
            f"({self.matched} matched to an existing claim, {self.new} probably new).",
        ]
        if self.faq_from_data:
            lines.append(
                f"{self.faq_from_data} FAQ question{'s' if self.faq_from_data != 1 else ''} and "
                f"{'their answers were' if self.faq_from_data != 1 else 'its answer was'} read from the page's "
                "data (its FAQPage JSON-LD), not from its visible text, and added after the article."
            )
        if not self.created_source and not self.approved_version:
            lines.append(
                f"Existing quotes re-found in the new text: {self.relocated}; no longer found and flagged "
                f"“source changed”: {len(self.flagged)}."
            )
            lines.append(
                f"Undecided candidates of the earlier version replaced by this version's: {self.replaced}; clauses "
                f"already accepted or rejected in an earlier version, not proposed again: {self.already_decided}."
            )
        skipped = [f"{n} {SKIPPED_REASONS[reason]}" for reason, n in sorted(self.skipped.items()) if n]
        if self.furniture:
            skipped.append(f"{self.furniture} line{'s' if self.furniture != 1 else ''} of page furniture (menus, "
                           "banners, share bars, teasers, comments) dropped from the HTML")  # fmt: skip
        if skipped:
            lines.append(f"Not proposed: {'; '.join(skipped)}.")
        lines += kept
        if self.semantic_off:
            lines.append(f"Claims were suggested by wording only: semantic matching is off ({self.semantic_off}).")
        else:
            lines.append(
                f"Claims were suggested by wording and by meaning (sentence embeddings; {self.embedded} "
                f"text{'s' if self.embedded != 1 else ''} embedded for the first time)."
            )
        return lines

    def _waiting_lines(self) -> list[str]:
        number = f"revision #{self.revision.pk}"
        if self.already_waiting:
            return [
                f"This text of “{self.source.title}” ({self.source.slug}) already waits for review as {number}: "
                "nothing new was created."
            ]
        return [
            f"“{self.source.title}” ({self.source.slug}) is public, so its new text waits for review as {number}. "
            "Readers keep the archived text until a reviewer other than you approves it.",
            f"In the new text, {self.relocated} of the existing quotes are found again and {len(self.flagged)} are "
            "not (they will be flagged “source changed” when it is approved).",
            "Once it is approved, the quotes are moved or flagged, and the new text's sentences are proposed as "
            "candidates by a background job.",
        ]


def _stored_embeddings(digests: list[str]) -> dict:
    import numpy as np

    found = {}
    if len(digests) > READ_ALL_TERMS:  # a new process building a large index: one query (0.07 s against 0.16–0.22 s
        # for 23,000 vectors in IN lists of 500, the 10,000-claim synthetic knowledge base)
        wanted = set(digests)
        rows = TextEmbedding.objects.values_list("digest", "vector").iterator(chunk_size=10000)
        return {d: np.frombuffer(bytes(v), dtype="<f4") for d, v in rows if d in wanted}
    for start in range(0, len(digests), 500):  # bounded IN lists
        rows = TextEmbedding.objects.filter(digest__in=digests[start : start + 500]).values_list("digest", "vector")
        found.update({d: np.frombuffer(bytes(v), dtype="<f4") for d, v in rows})
    return found


def _store_embeddings(vectors: dict) -> None:
    rows = [TextEmbedding(digest=d, vector=v.astype("<f4").tobytes()) for d, v in vectors.items()]
    TextEmbedding.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)


def embedder() -> CachedEmbedder | None:
    """Sentence embeddings backed by the ``TextEmbedding`` table, or None when semantic matching is off. The model
    itself is loaded only when a text has no stored vector (``LazyEncoder``): in a new process that saves about a
    second of an import whose texts were all embedded before."""
    if present():
        return None
    return CachedEmbedder(LazyEncoder(), load=_stored_embeddings, save=_store_embeddings)


def _index_claims(exclude_source: Source | None = None) -> list[ClaimRecord]:
    """Every claim with the quotes other sources attach to it and the names of its conditions (four queries of
    plain rows: at 10,000 claims there are some 75,000 quotes, and building model objects for them took seconds)."""
    quotes = defaultdict(list)
    rows = Assertion.objects.order_by("pk").values_list("claim_id", "quote")
    if exclude_source is not None:
        rows = rows.exclude(source=exclude_source)
    for claim_id, quote in rows:
        quotes[claim_id].append(quote)
    condition = {pk: condition_names(name, aliases) for pk, name, aliases in Condition.objects.values_list(
        "pk", "name", "aliases"
    )}  # fmt: skip
    names = defaultdict(list)
    for claim_id, condition_id in Claim.conditions.through.objects.order_by("pk").values_list(
        "claim_id", "condition_id"
    ):
        names[claim_id].extend(condition[condition_id])
    claims = Claim.objects.order_by("pk").values_list("pk", "text", "category")
    return [
        ClaimRecord(pk, text, category, tuple(quotes.get(pk, ())), tuple(names.get(pk, ())))
        for pk, text, category in claims
    ]


# Above this many texts to look up, the table is read whole in one query (a new process building the index of a
# large knowledge base) rather than 500 digests a query.
READ_ALL_TERMS = 5000


def _stored_terms(digests: list[str]) -> dict:
    found = {}
    if len(digests) > READ_ALL_TERMS:
        wanted = set(digests)
        rows = TextTerms.objects.values_list("digest", "terms").iterator(chunk_size=10000)
        return {d: unpack_terms(t) for d, t in rows if d in wanted}
    for start in range(0, len(digests), 500):  # bounded IN lists
        rows = TextTerms.objects.filter(digest__in=digests[start : start + 500]).values_list("digest", "terms")
        found.update({d: unpack_terms(t) for d, t in rows})
    return found


def _store_terms(vectors: dict) -> None:
    rows = [TextTerms(digest=d, terms=pack_terms(v)) for d, v in vectors.items()]
    TextTerms.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)


def stored_term_vectors(texts: list[str]) -> list:
    """``term_vectors`` backed by the ``TextTerms`` table: a text's terms are counted once, ever (until it changes),
    and then read from this process's memory or, in a new process, from the table."""
    return term_vectors(texts, load=_stored_terms, save=_store_terms)


_INDEX_STORE: IndexStore | None = None


def index_store() -> IndexStore:
    """Where the ranking index's matrices are kept between imports (``importer/indexstore.py``): this process's
    memory, and the files of ``KB_INDEX_CACHE_DIR``."""
    global _INDEX_STORE
    directory = settings.KB_INDEX_CACHE_DIR or None
    if _INDEX_STORE is None or _INDEX_STORE.directory != (Path(directory) if directory else None):
        _INDEX_STORE = IndexStore(directory)
    return _INDEX_STORE


def claim_index(
    exclude_source: Source | None = None, embed=None, claims: list[ClaimRecord] | None = None
) -> ClaimIndex:
    """The ranking index over every claim, with sentence embeddings when ``embed`` is given. The claims, their
    quotes and conditions are read afresh every time (a claim added, edited or deleted a moment ago is ranked as it
    is now), unless the caller has just read them (``claims``); only what is derived from texts seen before comes
    from a cache, keyed by the texts themselves: the index's matrices (``index_store``), else each text's term
    counts and vector.

    Queries: assertions, conditions, claims' conditions, claims; when the matrices of these very texts are not
    kept, the stored term counts of the texts this process has not seen, 500 a query, and with ``embed`` the
    stored vectors it has not read yet, 500 a query."""
    claims = _index_claims(exclude_source) if claims is None else claims
    return ClaimIndex(claims, embed=embed, analyse=stored_term_vectors, store=index_store())


# An import from the admin (a background job, importer/tasks.py) embeds at most this many texts of the knowledge
# base that have never been embedded (about 15 s here), so that one import does not hold the worker for minutes. A
# first import into a large knowledge base would need many more: ``python manage.py embed_texts``, or the jobs
# list's "Queue: embed new texts", embeds them all once, with progress.
WEB_EMBEDDING_BUDGET = 2000


def unembedded_texts(
    embed: CachedEmbedder, claims: list[ClaimRecord] | None = None, *, kept: bool = False
) -> list[str]:
    """The claim texts and quotes the ranking index uses that have no stored embedding yet. With ``kept``, none
    when the index's embedding matrices for these very texts are kept (``index_store``): then the stored vectors
    are not even read."""
    claims = _index_claims() if claims is None else claims
    if kept and index_store().get(semantic_key(claims, embed.model)) is not None:
        return []
    texts = []
    for claim in claims:
        texts.append(claim.text)
        texts.extend(claim.quotes[: ClaimIndex.EMBEDDED_QUOTES])
    return embed.missing(texts)


# Vectors younger than this are never pruned: an import stores its article's clauses before its transaction, and
# they count as used only once its candidates are committed.
PRUNE_GRACE = timedelta(hours=1)


def prune_embeddings(grace: timedelta = PRUNE_GRACE) -> int:
    """Delete the stored vectors older than ``grace`` that no claim text, quote or candidate awaiting review uses:
    the clauses of reviewed candidates, texts since edited or deleted, vectors of another model. Returns how many
    were deleted. A deleted vector is recomputed if its text is needed again (a changed version of an article
    re-embeds the clauses it shares with the old one; so does a pending clause longer than a candidate's 1,000
    characters, whose stored quote is cut). The stored digests are listed before the texts in use are read, so
    that a text that comes into use meanwhile keeps its vector."""
    cutoff = timezone.now() - grace
    stored = list(TextEmbedding.objects.filter(created_at__lt=cutoff).values_list("digest", flat=True).iterator())
    texts = (
        Claim.objects.values_list("text", flat=True),
        Assertion.objects.values_list("quote", flat=True),
        Candidate.objects.pending().values_list("quote", flat=True),
    )
    live = {CachedEmbedder.digest(text) for rows in texts for text in rows.iterator()}
    stale = [digest for digest in stored if digest not in live]
    with transaction.atomic():
        for start in range(0, len(stale), 500):
            TextEmbedding.objects.filter(digest__in=stale[start : start + 500]).delete()
    return len(stale)


def prune_terms(grace: timedelta = PRUNE_GRACE) -> int:
    """Delete the stored term counts older than ``grace`` that no claim text or quote uses now (texts since edited
    or deleted, counts of an earlier thesaurus). Returns how many were deleted."""
    cutoff = timezone.now() - grace
    stored = list(TextTerms.objects.filter(created_at__lt=cutoff).values_list("digest", flat=True).iterator())
    texts = (Claim.objects.values_list("text", flat=True), Assertion.objects.values_list("quote", flat=True))
    live = {term_digest(text) for rows in texts for text in rows.iterator()}
    stale = [digest for digest in stored if digest not in live]
    with transaction.atomic():
        for start in range(0, len(stale), 500):
            TextTerms.objects.filter(digest__in=stale[start : start + 500]).delete()
    return len(stale)


def warm_embeddings(
    embed: CachedEmbedder, texts: list[str] | None = None, progress: Callable[[int, int], None] | None = None
) -> int:
    """Embed and store ``texts`` (by default every text the index needs and the table lacks), in batches of 256,
    each batch in its own transaction; returns how many were computed. Run before an import's transaction, so that
    the import does not hold its transaction open while it embeds, and so that the work is kept even if the import
    itself is refused."""
    texts = unembedded_texts(embed) if texts is None else texts
    for start in range(0, len(texts), 256):
        with transaction.atomic():
            embed(texts[start : start + 256])
        if progress:
            progress(min(start + 256, len(texts)), len(texts))
    return len(texts)


def _embedder_within(
    budget: int | None, progress, article_texts: list[str], claims: list[ClaimRecord] | None = None
) -> tuple[CachedEmbedder | None, str]:
    """The embedder for an import, with every text it will need already stored (the knowledge base's claims and
    quotes, and the article's clauses), and why there is none ("" when there is one). Nothing is embedded inside
    the import's transaction: it only reads stored vectors."""
    embed = embedder()
    if embed is None:
        return None, present()
    missing = list(dict.fromkeys(unembedded_texts(embed, claims, kept=True) + embed.missing(article_texts)))
    if budget is not None and len(missing) > budget:
        return None, (
            f"{len(missing)} texts (the knowledge base's and this article's) have no embedding yet, more than an "
            f"import from the admin computes ({budget}); run `python manage.py embed_texts` once"
        )
    try:
        warm_embeddings(embed, missing, progress)
    except ModelUnavailable as error:  # its files were there but are not the pinned ones
        return None, str(error)
    return embed, ""


def _validate_source(source: Source) -> None:
    try:
        source.full_clean()
    except ValidationError as exc:
        problems = (f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items())
        raise InputError(" ".join(problems)) from None


def _updated(source: Source, *, text: str, name: str, author: str, publisher: str, url: str) -> Source:
    """``source`` with a new text and any metadata given (not saved)."""
    source.text = text
    source.archive_name = name or source.archive_name
    source.accessed_on = timezone.localdate()
    for attr, value in (("author", author), ("publisher", publisher), ("url", url)):
        if value:
            setattr(source, attr, value)
    return source


def _conditions() -> list[ConditionRecord]:
    return [ConditionRecord(c.slug, condition_names(c.name, c.aliases)) for c in Condition.objects.all()]


def _studies() -> list[StudyRecord]:
    return [StudyRecord(*row) for row in Study.objects.values_list("pk", "label", "authors", "year", "journal")]


def _new_source(*, title: str, slug: str, kind: str, text: str, name: str, author: str, publisher: str, url: str):
    return Source(
        title=title, slug=_unique_slug(slug), url=url, author=author, publisher=publisher, kind=kind,
        archive_name=name, text=text, accessed_on=timezone.localdate(),
    )  # fmt: skip


def _find_existing(url: str, slug: str) -> Source | None:
    """The known source this import is a version of: the one at the same URL, else the one with the same slug,
    unless that one is at another URL (a different article whose title happens to slugify the same: it becomes a
    new source with a numbered slug instead of overwriting the other's text)."""
    if url:
        found = Source.objects.filter(url=url).first()
        if found:
            return found
    found = Source.objects.filter(slug=slug).first()
    if found is not None and url and found.url and found.url != url:
        return None
    return found


def _kept_details(source: Source, title: str, kind: str) -> list[str]:
    """The details of an import that a known source does not take (a new version keeps its title and kind)."""
    kept = []
    if title != source.title:
        kept.append(f"title “{source.title}”")
    if kind != source.kind and kind != "other":  # "other" is the default when no kind is given
        kept.append(f"kind “{source.get_kind_display()}”")
    return kept


def _text_variants(text: str) -> list[str]:
    """SHA-256 of the text as given and without the surrounding whitespace a pasted text loses (a file usually
    ends with a line break; the admin's paste box strips it)."""
    core = text.strip()
    return list(dict.fromkeys(text_sha256(t) for t in (text, core, core + "\n")))


def _already_archived(text: str, url: str, known: Source | None) -> Source | None:
    """A source that already holds this text (whitespace around it aside), when this import is that source again:
    the known source itself, or another one when no other URL is given (an identical copy at another URL is a
    different publication of it, and becomes a source of its own)."""
    if known is not None and known.text.strip() == text.strip():
        return known
    same = Source.objects.filter(text_sha256__in=_text_variants(text)).order_by("pk").first()
    if same is not None and known is None and (not url or url == same.url):
        return same
    return None


def _unique_slug(base: str) -> str:
    slug, n = base, 2
    while Source.objects.filter(slug=slug).exists():
        slug, n = f"{base[:100]}-{n}", n + 1
    return slug


def import_article(
    raw: bytes | str,
    *,
    title: str,
    name: str = "input",
    fmt: str = "auto",
    url: str = "",
    author: str = "",
    publisher: str = "",
    kind: str = "other",
    slug: str = "",
    user=None,
    progress: Callable[[int, int], None] | None = None,
    embedding_budget: int | None = None,
    embedding_progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """Archive an article and propose candidate assertions for it; refuse bad input, writing nothing.

    Sentence embeddings of the knowledge base's texts that are not stored yet are computed first, unless there are
    more than ``embedding_budget`` of them (the admin's limit): then this import ranks claims by wording only."""
    title = (title or "").strip()
    if not title:
        raise InputError("A title is required.")
    if kind not in Source.Kind.values:
        raise InputError(f"Unknown kind {kind!r}; choose one of {', '.join(Source.Kind.values)}.")
    if len(title) > 300:
        raise InputError("The title is longer than 300 characters.")
    readable = readable_document(raw, name=name, fmt=fmt)
    text = readable.text
    digest = text_sha256(text)
    slug = slugify(slug or title)[:120] or "article"
    known = _find_existing(url, slug)
    archived = _already_archived(text, url, known)
    if archived is not None:
        return ImportSummary(source=archived, unchanged=True, kept=_kept_details(archived, title, kind))
    # Refuse bad metadata before the slow part (embedding), not after it.
    fields = {"text": text, "name": name, "author": author, "publisher": publisher, "url": url}
    if known is None:
        _validate_source(_new_source(title=title, slug=slug, kind=kind, **fields))
    else:
        _validate_source(_updated(known, **fields))
    public = known is not None and revisions.is_public(known)
    if public:
        # Its new text waits for a reviewer; the clauses are read once it is approved (``propose_candidates``).
        skipped, relevant, embed, semantic_off = Counter(), [], None, ""
    else:
        skipped, relevant, embed, semantic_off = _read(text, known, embedding_budget, embedding_progress)

    with transaction.atomic():
        source = _find_existing(url, slug)
        archived = _already_archived(text, url, source)
        if archived is not None:
            return ImportSummary(source=archived, unchanged=True, kept=_kept_details(archived, title, kind))
        if source is None:
            source = _new_source(title=title, slug=slug, kind=kind, **fields)
            _validate_source(source)
            source.save()
            summary = ImportSummary(source=source, created_source=True)
        else:
            summary = ImportSummary(source=source, kept=_kept_details(source, title, kind))
            if public or revisions.is_public(source):
                return _propose_new_version(source, fields, digest=digest, fmt=fmt, user=user, summary=summary)
            old_text = source.text
            _updated(source, **fields)
            _validate_source(source)
            source.save()
            _recheck_assertions(
                source, old_text, summary, user=user, reason="Quote re-checked against a new version of the source."
            )
            # The earlier version's undecided candidates point into a text that is gone: this version's take
            # their place (their clauses are proposed again below, at their new offsets, when still there).
            summary.replaced, _ = source.candidates.pending().delete()
        summary.skipped, summary.furniture, summary.faq_from_data = skipped, readable.dropped, readable.from_data
        snapshot, _ = SourceSnapshot.objects.get_or_create(
            source=source,
            sha256=digest,
            defaults={"text": text, "original_name": name, "original_format": fmt, "imported_by": user},
        )
        _propose(source, snapshot, relevant, embed, semantic_off, summary, progress)
    bump_content_version()
    return summary


# The source fields a new version of an article changes (``_updated``).
VERSION_FIELDS = ("text", "archive_name", "accessed_on", "author", "publisher", "url")


def _propose_new_version(source: Source, fields: dict, *, digest: str, fmt: str, user, summary: ImportSummary):
    """A public source's new text is a change to published content: it is kept as a snapshot and proposed as a
    pending revision of the source, and nothing readers see changes. Approval (``new_version_approved``) moves or
    flags the quotes and queues the proposal of the new text's candidates. The summary says which quotes the new
    text still holds."""
    text = fields["text"]
    SourceSnapshot.objects.get_or_create(
        source=source,
        sha256=digest,
        defaults={"text": text, "original_name": fields["name"], "original_format": fmt, "imported_by": user},
    )
    waiting = next((r for r in revisions.pending_for(source) if r.proposed.get("text") == text), None)
    if waiting is not None:
        summary.revision, summary.already_waiting = waiting, True
        return summary
    stored = Source.objects.get(pk=source.pk)
    new = _updated(copy.copy(stored), **fields)  # the proposed values, beside the stored ones
    for assertion, found in _relocated(list(source.assertions.all()), stored.text, text):
        if found is None:
            summary.flagged.append(assertion.pk)
        else:
            summary.relocated += 1
    reason = (
        f"New version of the article imported from {fields['name'] or 'a pasted text'} ({len(text):,} characters; "
        f"snapshot {digest[:12]}). Existing quotes found again in it: {summary.relocated}; no longer found: "
        f"{len(summary.flagged)}."
    )
    proposed = {name: revisions.stored_value(new, name) for name in VERSION_FIELDS}
    summary.revision = revisions.propose(stored, proposed, user, reason)
    return summary


def new_version_approved(revision: Revision, instance, **kwargs) -> None:
    """A reviewer approved a public source's new text (``revisions.signals.revision_applied``, inside the approval's
    transaction): move the quotes still there, flag the others, drop the earlier version's undecided candidates, and
    queue a job that proposes the new text's candidates."""
    if not isinstance(instance, Source) or "text" not in revision.proposed:
        return
    from importer import tasks
    from importer.models import Job

    _recheck_assertions(
        instance, revision.base.get("text", ""), ImportSummary(source=instance), user=kwargs.get("user"),
        reason=f"Quote re-checked against the source's new text (revision #{revision.pk}): {revision.reason}",
    )  # fmt: skip
    instance.candidates.pending().delete()
    job = Job.objects.create(
        kind=Job.Kind.PROPOSE, title=instance.title, source=instance, created_by=revision.author,
        params={"revision": revision.pk},
    )  # fmt: skip
    transaction.on_commit(lambda: tasks.queue(job), robust=True)
    return (
        f"The new text's quotes were re-checked, and its sentences are being proposed as candidates (job #{job.pk}, "
        "under Article import → Jobs)."
    )


def propose_candidates(
    source: Source,
    *,
    user=None,
    progress: Callable[[int, int], None] | None = None,
    embedding_budget: int | None = None,
    embedding_progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """Propose candidates for a source's current text (a public source's new version, once approved), as an import
    does; its undecided candidates are replaced."""
    text = source.text
    skipped, relevant, embed, semantic_off = _read(text, source, embedding_budget, embedding_progress)
    with transaction.atomic():
        source = Source.objects.select_for_update().filter(pk=source.pk).first()
        if source is None:
            raise InputError("The source was deleted.")
        if source.text != text:
            raise InputError("The source's text changed while its candidates were being proposed; retry.")
        summary = ImportSummary(source=source, approved_version=True)
        summary.skipped = skipped
        summary.replaced, _ = source.candidates.pending().delete()
        snapshot, _ = SourceSnapshot.objects.get_or_create(
            source=source,
            sha256=text_sha256(text),
            defaults={"text": text, "original_name": source.archive_name, "imported_by": user},
        )
        _propose(source, snapshot, relevant, embed, semantic_off, summary, progress)
    bump_content_version()
    return summary


def _read(text: str, known: Source | None, embedding_budget, embedding_progress):
    """The article's relevant clauses (and the sentences skipped, by reason), and the embedder to rank them with.
    The knowledge base's texts as they are now: their embeddings are computed and stored before the import's
    transaction, which reads the claims again and finds them stored. (Term counts of texts never seen are computed
    and stored in the transaction: much cheaper, and kept when it commits.)"""
    skipped = Counter()
    relevant = relevant_clauses(text, skipped)
    article_texts = [clause.text for _, parts in relevant for clause in parts]
    claims = _index_claims(exclude_source=known)
    embed, semantic_off = _embedder_within(embedding_budget, embedding_progress, article_texts, claims)
    return skipped, relevant, embed, semantic_off


def _propose(source, snapshot, relevant, embed, semantic_off, summary: ImportSummary, progress) -> None:
    """Rank the article's relevant clauses against the knowledge base and store them as candidates (inside the
    caller's transaction), leaving out clauses decided in an earlier version and clauses already quoted."""
    text = source.text
    index = claim_index(exclude_source=source, embed=embed)
    if embed is not None:
        embed.forget()  # the index holds the knowledge base's vectors now; the article's are read as needed
    summary.semantic_off = semantic_off or ("" if index.semantic else "the knowledge base has no claims yet")
    index_texts = {claim.id: claim.text for claim in index.claims}
    index_categories = {claim.id: claim.category for claim in index.claims}
    found = extract(text, index, _conditions(), _studies(), progress=progress, relevant=relevant)
    # every sentence is one or the other
    summary.sentences = len(relevant) + sum(n for why, n in summary.skipped.items() if why not in SKIPPED_CLAUSES)
    decided = _decided_places(source, text)
    covered = _covered_spans(source)
    rows = []
    for data in found:
        if (data.clause.start, data.clause.text[:1000]) in decided:  # accepted or rejected in an earlier version
            summary.already_decided += 1
            continue
        if _inside(covered, data.clause.start, data.clause.end):
            continue
        top = data.suggestions[0][1] if data.suggestions else 0.0
        summary.matched += top >= MATCH_SCORE
        summary.new += top < MATCH_SCORE
        rows.append(
            Candidate(
                source=source,
                snapshot=snapshot,
                quote=data.clause.text[:1000],
                offset=data.clause.start,
                sentence=data.sentence.text,
                sentence_offset=data.sentence.start,
                category=data.category,
                other_categories=data.other_categories,
                stance=data.stance,
                conditions=data.conditions,
                cited_study_id=data.cited_study_ids[0] if data.cited_study_ids else None,
                citation_text=data.citation_text[:300],
                suggestions=[
                    {
                        "claim": cid,
                        "score": score,
                        "text": index_texts.get(cid, ""),
                        "stance": stance,
                        **_offered_first(data.candidacy_first, index_categories.get(cid)),
                    }
                    for cid, score, stance in data.suggestions
                ],
            )
        )
    Candidate.objects.bulk_create(rows)
    summary.candidates = len(rows)
    summary.embedded = embed.computed if embed is not None else 0  # all of them before the transaction


def _offered_first(candidacy_first: bool, category: str | None) -> dict:
    """What a suggestion records when it is offered before higher-scoring ones: a candidacy claim of a candidate
    whose candidacy claims ``rank_clause`` put first (``Ranking.candidacy_first``, decided once per candidate). The
    review screen says so, so that a lower score listed above a higher one is not read as a ranking error."""
    return {"offered_first": "candidacy"} if candidacy_first and category == "candidacy" else {}


def refresh_suggestions(candidates: list[Candidate]) -> int:
    """Rank these candidates again against today's claims (a claim published since the import is offered), with
    each suggestion's stance and the likely categories recomputed; decisions already taken are kept. Sentence
    embeddings take part when every text they need is stored (``embed_texts``), else wording alone. One index is
    built for all of them. Returns how many candidates were updated."""
    embed = embedder()
    by_source = defaultdict(list)
    for candidate in candidates:
        by_source[candidate.source_id].append(candidate)
    updated = []
    for group in by_source.values():
        claims = _index_claims(exclude_source=group[0].source)
        semantic = (
            embed is not None
            and not embed.missing([c.quote for c in group])
            and not unembedded_texts(embed, claims, kept=True)
        )
        index = claim_index(embed=embed if semantic else None, claims=claims)
        sentences = _sentences_of(group)
        for candidate in group:
            sentence = sentences.get((candidate.snapshot_id, candidate.sentence_offset))
            if sentence is None or sentence.text != candidate.sentence:  # no snapshot: the sentence alone
                sentence = Sentence(
                    candidate.sentence_offset, candidate.sentence_offset + len(candidate.sentence), candidate.sentence
                )
            ranked, categories, candidacy_first = rank_clause(index, candidate.quote, sentence)
            candidate.suggestions = [
                {
                    "claim": claim.id,
                    "score": score,
                    "text": claim.text,
                    "stance": stance_toward(candidate.quote, claim),
                    **_offered_first(candidacy_first, claim.category),
                }
                for claim, score in ranked
            ]
            if candidate.status == Candidate.Status.PENDING:
                candidate.category, candidate.other_categories = categories[0], categories[1:3]
                candidate.stance = stance_cue(candidate.quote)  # toward a claim in its own words (extract())
            updated.append(candidate)
    Candidate.objects.bulk_update(updated, ["suggestions", "category", "other_categories", "stance"], batch_size=200)
    return len(updated)


def _sentences_of(candidates: list[Candidate]) -> dict[tuple[int, int], Sentence]:
    """The sentences of the snapshots these candidates were proposed from, by (snapshot, offset): a list item is
    re-ranked with its lead-in, as at import. One query for the snapshots' texts."""
    texts = SourceSnapshot.objects.filter(pk__in={c.snapshot_id for c in candidates if c.snapshot_id})
    return {
        (snapshot_id, sentence.start): sentence
        for snapshot_id, text in texts.values_list("pk", "text")
        for sentence in split_sentences(text)
    }


def _covered_spans(source: Source) -> list[tuple[int, int]]:
    return [
        (offset, offset + len(quote))
        for offset, quote in source.assertions.filter(offset__isnull=False).values_list("offset", "quote")
    ]


def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """A clause already quoted by an assertion needs no new candidate."""
    return any(s <= start and end <= e for s, e in spans)


def _decided_places(source: Source, text: str) -> set[tuple[int, str]]:
    """Where the clauses an editor accepted or rejected in earlier versions are in ``text``, as (offset, quote):
    each decided candidate is followed from the snapshot it was proposed in to the same occurrence of its words in
    the new text (an article that repeats a clause gets the repeat it did not decide proposed again). Each
    snapshot's text is read once."""
    rows = list(
        source.candidates.exclude(status=Candidate.Status.PENDING).values_list("snapshot_id", "offset", "quote")
    )
    texts = dict(SourceSnapshot.objects.filter(pk__in={sid for sid, _, _ in rows}).values_list("pk", "text"))
    maps: dict = {}
    places = set()
    for snapshot_id, offset, quote in rows:
        old_text = texts.get(snapshot_id)
        if old_text is None:  # its snapshot is gone: its offset means nothing now
            found = locate_quote(text, quote)
        else:
            if snapshot_id not in maps:
                maps[snapshot_id] = OffsetMap(old_text, text)
            found = relocate_quote(old_text, text, quote, offset, maps[snapshot_id])
        if found is not None:
            places.add((found[0], found[1][:1000]))
    return places


def _relocated(assertions: list[Assertion], old_text: str, new_text: str):
    """Each assertion with where its quote is in ``new_text`` ((offset, quote), at the same occurrence of its words
    when these appear more than once), or None when it is not there."""
    mapping = OffsetMap(old_text, new_text)
    return [
        (assertion, relocate_quote(old_text, new_text, assertion.quote, assertion.offset, mapping))
        for assertion in assertions
    ]


def _recheck_assertions(source: Source, old_text: str, summary: ImportSummary, *, user=None, reason: str = "") -> None:
    """After a text change: move quotes that are still there (to the same occurrence of their words, when these
    appear more than once), flag the ones that are gone. Each statement that changed gets a version in its history
    (who: ``user``, why: ``reason``), as a save would give it."""
    assertions = list(source.assertions.all())
    changed = []
    for assertion, found in _relocated(assertions, old_text, source.text):
        before = (assertion.offset, assertion.quote, assertion.source_changed)
        if found is None:
            assertion.source_changed = True
            summary.flagged.append(assertion.pk)
        else:
            assertion.offset, assertion.quote = found
            assertion.source_changed = False
            summary.relocated += 1
        if (assertion.offset, assertion.quote, assertion.source_changed) != before:
            changed.append(assertion)
    bulk_update_with_history(
        changed, Assertion, ["offset", "quote", "source_changed"], batch_size=500,
        default_user=user if getattr(user, "pk", None) else None, default_change_reason=reason,
    )  # fmt: skip


# --- decisions ----------------------------------------------------------------------------------------------


class DecisionError(Exception):
    """The decision cannot be carried out; the message says why."""


def _locked(candidate: Candidate) -> Candidate:
    """The candidate's row, locked until the transaction ends (on PostgreSQL), with its current status: two
    editors deciding at once are serialised, and the second sees the first one's decision."""
    current = Candidate.objects.select_for_update().only("status").filter(pk=candidate.pk).first()
    if current is None:  # a newer version of the article, imported meanwhile, replaced the undecided candidates
        raise DecisionError(
            "A newer version of this article was imported meanwhile and replaced this candidate; open the source's "
            "new candidates."
        )
    candidate.status = current.status
    return candidate


def _decide(candidate: Candidate, user, status: str, note: str = "") -> None:
    """Record the decision; a candidate that takes more claims later keeps who accepted it first, and when."""
    if candidate.status != status:
        candidate.decided_by = user
        candidate.decided_at = timezone.now()
    candidate.status = status
    if note:
        candidate.note = note
    candidate.save(update_fields=["status", "decided_by", "decided_at", "note"])


def _quote_in_sentence(candidate: Candidate, quote: str) -> tuple[int, str]:
    """Where the editor's quote is in the source's current text: in the candidate's sentence (it may run on into
    the next one), not at an earlier place where the same words appear. Refused when it is not there."""
    text = candidate.source.text
    start = candidate.sentence_offset
    end = start + len(candidate.sentence)
    if text[start:end] != candidate.sentence:  # a newer version of the text moved the sentence, or dropped it
        # Followed from the version it was proposed in to the same place (not to the first sentence like it).
        old_text = candidate.snapshot.text if candidate.snapshot_id else text
        moved = relocate_quote(old_text, text, candidate.sentence, candidate.sentence_offset)
        if moved is None:
            raise DecisionError(
                "The source’s text has changed since this candidate was proposed, and its sentence is no longer in "
                "it; nothing was attached."
            )
        start, end = moved[0], moved[0] + len(moved[1])
    found = locate_quote_from(text, quote, start, end)
    if found is None:
        raise DecisionError(
            "The quote must be words of this candidate’s sentence, copied exactly (differences in spaces and line "
            "breaks are fine); it may run on into the next sentence. Nothing was attached."
        )
    return found


def attach_many(
    candidate: Candidate, choices: list[tuple[Claim, str]], user, *, quote: str = ""
) -> list[Assertion | Revision]:
    """Accept the candidate as assertions of existing claims, one per (claim, stance): a clause often states
    several claims. On a published claim the assertion is proposed as a pending revision (returned in its place),
    which a reviewer other than ``user`` approves. All of them or none: a quote that is not in the text, or a claim
    this source already states
    with the same quote, refuses the whole decision. An accepted candidate can take more claims later; a rejected
    one cannot."""
    if not choices:
        raise DecisionError("Choose at least one claim.")
    quote = (quote or candidate.quote).strip()
    note = f"Imported; the article cites {candidate.citation_text}." if candidate.citation_text else ""
    created = []
    with transaction.atomic():
        if _locked(candidate).status == Candidate.Status.REJECTED:
            raise DecisionError("This candidate has been rejected.")
        offset, quote = _quote_in_sentence(candidate, quote)
        for claim, stance in choices:
            assertion = Assertion(
                claim=claim, source=candidate.source, quote=quote, offset=offset, stance=stance or candidate.stance,
                cited_study=candidate.cited_study, note=note,
            )  # fmt: skip
            duplicate = f"This source already states “{claim}” with the same quote; nothing was attached."
            try:
                # The quote check runs here; the uniqueness of (source, claim, quote) in the database below, after
                # the check has stored the quote's exact wording. Either error leaves the whole atomic block.
                assertion.full_clean(validate_constraints=False)
                if revisions.is_moderated(assertion, claim):
                    # A statement of a published claim reaches its page (and makes the source public): it waits
                    # for a reviewer as a revision, like any change to published content.
                    if Assertion.objects.filter(source=candidate.source, claim=claim, quote=assertion.quote).exists():
                        raise DecisionError(duplicate)
                    proposed = {
                        name: revisions.stored_value(assertion, name)
                        for name in ("claim", "source", "quote", "stance", "cited_study", "note")
                    }
                    reason = f"Imported from “{candidate.source.title}” (import candidate #{candidate.pk})."
                    created.append(
                        revisions.propose(assertion, proposed, user, reason, action=Revision.Action.ADD, claim=claim)
                    )
                    continue
                assertion.save()
                # An edit of the draft: whoever attached it may not also publish it (no self-approval).
                if getattr(user, "pk", None):
                    Claim.objects.filter(pk=claim.pk).update(last_edited_by=user)
            except ValidationError as exc:
                raise DecisionError(" ".join(exc.messages)) from None
            except IntegrityError:
                raise DecisionError(duplicate) from None
            created.append(assertion)
        candidate.assertions.add(*[row for row in created if isinstance(row, Assertion)])
        _decide(candidate, user, Candidate.Status.ACCEPTED)
    return created


def attach(candidate: Candidate, claim: Claim, user, *, quote: str = "", stance: str = "") -> Assertion | Revision:
    """Accept the candidate as an assertion of one existing claim (the quote is verified against the text)."""
    return attach_many(candidate, [(claim, stance)], user, quote=quote)[0]


def create_claim_from(
    candidate: Candidate,
    user,
    *,
    text: str,
    category: str,
    condition_slugs: list[str] | None = None,
    quote: str = "",
) -> Assertion:
    """Accept the candidate as the first assertion of a new draft claim."""
    text = (text or "").strip()
    if not text:
        raise DecisionError("The new claim needs a text.")
    if category not in Claim.Category.values:
        raise DecisionError(f"Unknown category {category!r}.")
    with transaction.atomic():
        base = slugify(text)[:100] or "claim"
        slug, n = base, 2
        while Claim.objects.filter(slug=slug).exists():
            slug, n = f"{base}-{n}", n + 1
        claim = Claim.objects.create(
            text=text,
            slug=slug,
            category=category,
            status=Status.DRAFT,
            grade=Grade.NOT_GRADED,
            last_edited_by=user,
        )
        if condition_slugs:
            claim.conditions.set(Condition.objects.filter(slug__in=condition_slugs))
        assertion = attach(candidate, claim, user, quote=quote)
        index_claim(claim)
    return assertion


def reject(candidate: Candidate, user, note: str = "") -> None:
    with transaction.atomic():
        if _locked(candidate).status != Candidate.Status.PENDING:
            raise DecisionError("This candidate has already been decided.")
        _decide(candidate, user, Candidate.Status.REJECTED, note=note)
