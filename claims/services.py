"""Multi-step writes of the editorial workflow: saving edits safely, recording history, moving status.

Each function runs in one transaction and raises ``WorkflowError`` (with a message meant for the editor)
when the step is not allowed; nothing is written then.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from claims import figures, grading, history
from claims.models import Claim, ClaimChange, Condition, Grade, Status, Verdict, role_of
from claims.search import index_claim, index_sources_of, index_studies_of
from kb.cache import bump_content_version

TRACKED_FIELDS = ("grade", "verdict", "status", "rationale")


class WorkflowError(Exception):
    """A workflow step that is not allowed, with the reason in words an editor understands."""


class EditConflict(WorkflowError):
    """Someone else saved the claim after this editor opened it."""


@dataclass(frozen=True)
class Snapshot:
    grade: str
    status: str
    rationale: str
    verdict: str = ""

    @classmethod
    def of(cls, claim: Claim) -> Snapshot:
        return cls(grade=claim.grade, status=claim.status, rationale=claim.rationale, verdict=claim.verdict)


def derived_starting_level(claim: Claim) -> str:
    """The GRADE start from the designs in the claim's evidence base (one query)."""
    designs = claim.evidence.values_list("study__design", flat=True)
    return grading.starting_level_for_designs(designs)


def refresh_grading(claim: Claim, user=None) -> None:
    """Re-derive the starting level from the evidence base and store the recomputed suggestion (recorded in the
    history when it changed)."""
    before = (claim.starting_level, claim.suggested_grade)
    claim.starting_level = derived_starting_level(claim)
    claim.suggested_grade = claim.compute_suggested_grade()
    Claim.objects.filter(pk=claim.pk).update(starting_level=claim.starting_level, suggested_grade=claim.suggested_grade)
    if (claim.starting_level, claim.suggested_grade) != before:
        history.record(claim, user, "Grading recomputed from the evidence base.")
    bump_content_version()  # update() sends no signals


def record_changes(before: Snapshot, claim: Claim, user, reason: str = "", *, override: bool = False) -> list:
    """Write a history row for each tracked field whose value changed."""
    rows = []
    for name in TRACKED_FIELDS:
        old, new = getattr(before, name), getattr(claim, name)
        if old != new:
            rows.append(
                ClaimChange(
                    claim=claim,
                    field=name,
                    before=old,
                    after=new,
                    reason=reason,
                    changed_by=user if getattr(user, "pk", None) else None,
                    self_approval_override=override and name == "status",
                    # Public: the publication itself, and what changes on a claim readers see (not a draft's edits).
                    public=(name == "status" and new == Status.PUBLISHED) or before.status == Status.PUBLISHED,
                )
            )
    ClaimChange.objects.bulk_create(rows)
    return rows


def check_version(claim_pk: int, expected_version: int) -> None:
    """Refuse to save over a newer version. Locks the row until the transaction ends (PostgreSQL)."""
    current = (
        Claim.objects.select_for_update(of=("self",))
        .filter(pk=claim_pk)
        .values("version", "updated_at", "last_edited_by__username")
        .first()
    )
    if current is None:
        raise EditConflict("This claim was deleted while you were editing it. Nothing was saved.")
    if current["version"] != expected_version:
        who = current["last_edited_by__username"] or "someone else"
        when = timezone.localtime(current["updated_at"]).strftime("%d %b %Y %H:%M")
        raise EditConflict(
            f"This claim was changed by {who} at {when}, after you opened it. Your changes were not saved: "
            "they are still in the form below. Open the claim in a new tab to see the other edit, then "
            "re-apply yours there."
        )


def save_edit(claim: Claim, user, *, before: Snapshot, reason: str = "") -> None:
    """Save an edited claim: bump its version, remember the editor, record history (one transaction)."""
    with transaction.atomic():
        claim.version = (claim.version or 0) + 1
        claim.last_edited_by = user
        claim.save()
        record_changes(before, claim, user, reason)


def _transition(claim: Claim, user, new_status: str, reason: str = "", *, override: bool = False) -> None:
    before = Snapshot.of(claim)
    claim.status = new_status
    now = timezone.now()
    if new_status == Status.PUBLISHED:
        claim.published_at = claim.published_at or now
        # Publishing is the review: readers see when, and by which role (never by whom).
        claim.reviewed_at, claim.reviewed_role = now, role_of(user)
    Claim.objects.filter(pk=claim.pk).update(
        status=claim.status,
        published_at=claim.published_at,
        reviewed_at=claim.reviewed_at,
        reviewed_role=claim.reviewed_role,
        version=F("version") + 1,
        updated_at=now,
    )
    claim.refresh_from_db(fields=["version", "updated_at"])
    record_changes(before, claim, user, reason, override=override)
    history.record(claim, user, reason or f"Status: {before.status} → {new_status}.")  # update() bypasses save()
    index_claim(claim)  # status decides whether the claim is searchable
    index_sources_of([claim.pk])  # and whether a source that states it is public (Source.objects.public())
    index_studies_of([claim.pk])  # and a study it uses (Study.objects.public())
    figures.claims_changed([claim.pk])  # and what the pages count (claims.figures)
    bump_content_version()  # update() and bulk_create() send no signals


def submit_for_review(claim: Claim, user) -> None:
    if not user.has_perm("claims.submit_claim"):
        raise WorkflowError("You do not have permission to submit claims for review.")
    if claim.status != Status.DRAFT:
        raise WorkflowError(
            f"Only drafts can be submitted for review; this claim is {claim.get_status_display().lower()}."
        )
    if claim.grade == Grade.NOT_GRADED and not claim.is_good_practice:
        raise WorkflowError("Grade the claim before submitting it for review.")
    with transaction.atomic():
        _transition(claim, user, Status.IN_REVIEW)


def publish(claim: Claim, user, *, override: bool = False, reason: str = "") -> None:
    """Publish a claim in review. A reviewer may not publish a claim they last edited themselves; a superuser
    may, with ``override`` and a written reason, and the override is recorded in the history."""
    if not user.has_perm("claims.publish_claim"):
        raise WorkflowError("Only reviewers can publish claims.")
    if claim.status != Status.IN_REVIEW:
        raise WorkflowError(
            f"Only claims in review can be published; this claim is {claim.get_status_display().lower()}."
        )
    if claim.grade == Grade.NOT_GRADED and not claim.is_good_practice:
        raise WorkflowError("A claim without a grade cannot be published (only a good-practice statement can).")
    if claim.verdict == Verdict.SUPPORTED and not claim.evidence.exists():
        raise WorkflowError("A claim with no study in its evidence base cannot be published as supported.")
    self_approval = claim.last_edited_by_id is not None and claim.last_edited_by_id == user.pk
    if self_approval:
        if not user.is_superuser:
            raise WorkflowError(
                "You edited this claim last, so you cannot publish it yourself: another reviewer must approve it."
            )
        if not override:
            raise WorkflowError(
                "You edited this claim last. As a superuser you may publish it anyway, but only by choosing "
                "the self-approval override and giving a reason."
            )
        if not reason.strip():
            raise WorkflowError("A self-approval override needs a written reason.")
    with transaction.atomic():
        _transition(claim, user, Status.PUBLISHED, reason, override=self_approval)


def return_to_draft(claim: Claim, user, comment: str) -> None:
    if not user.has_perm("claims.publish_claim"):
        raise WorkflowError("Only reviewers can return claims to draft.")
    if claim.status == Status.DRAFT:
        raise WorkflowError("This claim is already a draft.")
    if not comment.strip():
        raise WorkflowError("Say what needs to change: returning a claim to draft needs a comment.")
    with transaction.atomic():
        _transition(claim, user, Status.DRAFT, comment)


# --- A condition's bottom line: written by an editor, published by another reviewer ---------------------------


def save_bottom_line(condition: Condition, user, text: str) -> None:
    """Set an edited bottom line as the draft (not saved here: the admin saves the condition). Readers keep the
    published one; a draft equal to it leaves nothing to review."""
    condition.bottom_line_draft = text.strip()
    if condition.bottom_line_draft == condition.bottom_line and condition.bottom_line:
        condition.bottom_line_status = Status.PUBLISHED
    else:
        condition.bottom_line_status = Status.DRAFT
        condition.bottom_line_edited_by = user if getattr(user, "pk", None) else None


def submit_bottom_line(condition: Condition, user) -> None:
    if not user.has_perm("claims.submit_claim"):
        raise WorkflowError("You do not have permission to submit bottom lines for review.")
    if condition.bottom_line_status != Status.DRAFT:
        raise WorkflowError(f"The bottom line of {condition} has no draft waiting to be submitted.")
    if not condition.bottom_line_draft.strip():
        raise WorkflowError(f"Write a bottom line for {condition} before submitting it.")
    condition.bottom_line_status = Status.IN_REVIEW
    Condition.objects.filter(pk=condition.pk).update(bottom_line_status=Status.IN_REVIEW)
    history.record(condition, user, "Bottom line submitted for review.")


def publish_bottom_line(condition: Condition, user, *, override: bool = False, reason: str = "") -> None:
    """Publish a bottom line in review; as with claims, not by the editor who wrote it (superuser: with a reason)."""
    if not user.has_perm("claims.publish_claim"):
        raise WorkflowError("Only reviewers can publish bottom lines.")
    if condition.bottom_line_status != Status.IN_REVIEW:
        raise WorkflowError(f"The bottom line of {condition} is not in review.")
    if condition.bottom_line_edited_by_id is not None and condition.bottom_line_edited_by_id == user.pk:
        if not user.is_superuser:
            raise WorkflowError(f"You wrote the bottom line of {condition}, so another reviewer must publish it.")
        if not (override and reason.strip()):
            raise WorkflowError(
                "You wrote this bottom line. As a superuser you may publish it only with the self-approval "
                "override and a written reason."
            )
    with transaction.atomic():
        condition.bottom_line = condition.bottom_line_draft
        condition.bottom_line_status = Status.PUBLISHED
        condition.reviewed_at, condition.reviewed_role = timezone.now(), role_of(user)
        Condition.objects.filter(pk=condition.pk).update(
            bottom_line=condition.bottom_line,
            bottom_line_status=condition.bottom_line_status,
            reviewed_at=condition.reviewed_at,
            reviewed_role=condition.reviewed_role,
        )
        history.record(condition, user, reason or "Bottom line published.")
        bump_content_version()
