"""Atom feeds of claims newly published and regraded: all claims (/feeds/claims.atom) and a condition's
(/conditions/<slug>/feed.atom, the claims its page lists).

An entry is one publication or one change of a published claim's certainty or verdict, as its page's history shows
them (``ClaimChange``; changes saved together are one entry), saying what changed, before → after, and when. A claim
published without a recorded publication (loaded with ``import_kb``) has one entry at its ``published_at``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import dateformat
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, format_html_join

from claims.models import Claim, ClaimChange, ClaimQuerySet, Condition, Status
from claims.public import PublicConditions

FEED_ENTRIES = 50
SAME_SAVE = timedelta(seconds=2)  # changes of one claim this close together were saved by one edit

_PUBLISHED = Q(field=ClaimChange.Field.STATUS, after=Status.PUBLISHED)
# Regradings and every other approved revision; not a draft's edits, which nobody reviewed for readers.
_REGRADED = Q(field__in=ClaimChange.PUBLIC_FIELDS, public=True)


@dataclass
class Entry:
    claim: Claim
    at: datetime
    changes: list[ClaimChange] = field(default_factory=list)  # empty: published without a recorded publication
    base: str = ""  # the site's absolute root, for the entry's id

    @property
    def guid(self) -> str:
        anchor = f"change-{self.changes[-1].pk}" if self.changes else "published"
        return f"{self.claim.get_absolute_url()}#{anchor}"

    def parts(self) -> list[str]:
        """What changed, in words: "published", "certainty Low → Moderate", "verdict … → Supported"."""
        if not self.changes:
            return ["published"]
        return [
            change.public_words
            for change in sorted(self.changes, key=lambda c: (c.field != ClaimChange.Field.STATUS, c.field))
        ]


def recent_entries(claims: ClaimQuerySet, limit: int = FEED_ENTRIES) -> list[Entry]:
    """The latest ``limit`` entries for the published claims among ``claims``, newest first. Two queries: the recorded
    publications and regradings, and the claims published without a record."""
    published = claims.filter(status=Status.PUBLISHED).values("pk")
    # Enough rows for ``limit`` entries even when every entry groups a publication with two changes.
    rows = (
        ClaimChange.objects.filter(claim__in=published)
        .filter(_PUBLISHED | _REGRADED)
        .select_related("claim")
        .order_by("-changed_at", "-pk")[: limit * 3]
    )
    entries: list[Entry] = []
    for change in rows:
        last = entries[-1] if entries else None
        if last and last.claim.pk == change.claim_id and last.changes[-1].changed_at - change.changed_at <= SAME_SAVE:
            last.changes.append(change)
        else:
            entries.append(Entry(claim=change.claim, at=change.changed_at, changes=[change]))
    recorded = ClaimChange.objects.filter(_PUBLISHED, claim=OuterRef("pk"))
    unrecorded = (
        Claim.objects.filter(pk__in=published, published_at__isnull=False)
        .exclude(Exists(recorded))
        .order_by("-published_at", "-pk")[:limit]
    )
    entries += [Entry(claim=claim, at=claim.published_at) for claim in unrecorded]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


@dataclass
class FeedSubject:
    base: str  # the site's absolute root, for the entries' ids
    condition: Condition | None = None
    claims: ClaimQuerySet | None = None  # a condition's: the claims its page lists


class ClaimChangesFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, *args, **kwargs) -> FeedSubject:
        return FeedSubject(base=request.build_absolute_uri("/").rstrip("/"))

    def title(self, subject: FeedSubject) -> str:
        return f"{settings.KB_SITE_NAME}: claims published and regraded"

    def subtitle(self, subject: FeedSubject) -> str:
        return (
            "Each entry is a claim newly published, or a published claim whose certainty, verdict, wording or "
            "evidence changed after review."
        )

    def link(self, subject: FeedSubject) -> str:
        return reverse("home")

    def feed_url(self, subject: FeedSubject) -> str:
        return reverse("claims:feed")

    def author_name(self, subject: FeedSubject) -> str:
        return settings.KB_SITE_NAME

    def claims(self, subject: FeedSubject) -> ClaimQuerySet:
        return Claim.objects.published()

    def items(self, subject: FeedSubject) -> list[Entry]:
        entries = recent_entries(self.claims(subject))
        for entry in entries:
            entry.base = subject.base
        return entries

    def item_title(self, entry: Entry) -> str:
        parts = entry.parts()
        return f"{parts[0][0].upper()}{parts[0][1:]}{''.join('; ' + p for p in parts[1:])}: {entry.claim.text}"

    def item_description(self, entry: Entry) -> str:
        claim = entry.claim
        changes = format_html_join(
            "", "<li>{}</li>", ((part[0].upper() + part[1:],) for part in entry.parts())
        )  # fmt: skip
        reasons = [c.reason for c in entry.changes if c.reason]
        why = format_html("<p>Why: {}</p>", " ".join(reasons)) if reasons else ""
        return format_html(
            "<p>{} on {}:</p><ul>{}</ul>{}<p>Now: {}, {} certainty.</p>",
            "Published" if entry.parts() == ["published"] else "Changed",
            dateformat.format(entry.at, "j F Y"),
            changes,
            why,
            claim.get_verdict_display(),
            claim.get_grade_display().lower(),
        )

    def item_link(self, entry: Entry) -> str:
        return entry.claim.get_absolute_url()

    def item_guid(self, entry: Entry) -> str:
        return entry.base + entry.guid

    item_guid_is_permalink = False

    def item_pubdate(self, entry: Entry) -> datetime:
        return entry.at

    def item_updateddate(self, entry: Entry) -> datetime:
        return entry.at

    def item_categories(self, entry: Entry) -> list[str]:
        return [entry.claim.get_category_display()]


class ConditionChangesFeed(ClaimChangesFeed):
    def get_object(self, request: HttpRequest, slug: str) -> FeedSubject:
        tree = PublicConditions()
        condition = tree.get(slug)
        if condition is None:
            raise Http404("No such condition.")
        base = request.build_absolute_uri("/").rstrip("/")
        return FeedSubject(base=base, condition=condition, claims=tree.claims_of(condition))

    def title(self, subject: FeedSubject) -> str:
        return f"{settings.KB_SITE_NAME}: ketamine for {subject.condition.name}, claims published and regraded"

    def link(self, subject: FeedSubject) -> str:
        return subject.condition.get_absolute_url()

    def feed_url(self, subject: FeedSubject) -> str:
        return reverse("claims:condition_feed", args=[subject.condition.slug])

    def claims(self, subject: FeedSubject) -> ClaimQuerySet:
        return subject.claims
