"""Pending revisions of published content (CIViC's model): a change to anything readers see waits, with its reason,
until a reviewer other than its author approves it. See revisions/services.py for the rules and docs/editors.md."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q


class RevisionQuerySet(models.QuerySet):
    def pending(self) -> RevisionQuerySet:
        return self.filter(state=Revision.State.PENDING)


class Revision(models.Model):
    class Action(models.TextChoices):
        CHANGE = "change", "Change"
        ADD = "add", "Addition"
        DELETE = "delete", "Removal"

    class State(models.TextChoices):
        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn by its author"

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The changed row; empty for an addition until it is approved."
    )
    target = GenericForeignKey("content_type", "object_id")
    object_repr = models.CharField("object", max_length=300)
    claim = models.ForeignKey(
        "claims.Claim",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="revisions",
        help_text="The claim whose page the change reaches (the claim itself, or the claim of a statement, "
        "evidence row or effect estimate).",
    )
    action = models.CharField(max_length=8, choices=Action.choices, default=Action.CHANGE)
    proposed = models.JSONField(default=dict, help_text="The proposed values, by field name.")
    base = models.JSONField(
        default=dict, help_text="The published values of the same fields when the revision was proposed."
    )
    reason = models.TextField(help_text="Why the change is needed (shown to reviewers and in the history).")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="revisions_proposed"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="revisions_decided"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    self_approval_override = models.BooleanField(
        default=False, help_text="A superuser approved a revision they had proposed themselves (with a reason)."
    )

    objects = RevisionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="revision_reason_required"),
            models.CheckConstraint(condition=Q(action__in=["change", "add", "delete"]), name="revision_action_valid"),
            models.CheckConstraint(
                condition=Q(action="add") | Q(object_id__isnull=False), name="revision_change_has_object"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "-created_at"], name="revision_queue"),
            models.Index(fields=["content_type", "object_id", "state"], name="revision_target"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} of {self.object_repr} (#{self.pk})"

    @property
    def is_pending(self) -> bool:
        return self.state == self.State.PENDING
