"""Moderated revisions: what counts as published content, proposing a change to it, and deciding on a proposal.

The rules (docs/editors.md, "Changing published content"):

- A change to published content is saved as a pending ``Revision`` with a required reason; readers keep seeing the
  published version. Published content is: a published claim (its wording, verdict, certainty, judgments, rationale,
  conditions, tags, conflicts); a statement (assertion), evidence row or effect estimate of a published claim, added,
  changed or removed; the public fields of a public condition, source or study, and the name of a tag a published
  claim carries (``is_public``).
- A reviewer other than the revision's author approves it; a superuser may approve their own with the override and a
  written reason (recorded). Anyone allowed to review may reject it, with a note; its author may withdraw it.
- Approving applies the proposed values in one transaction, through ``save()`` (so django-simple-history records
  who, when and why), after checking that the fields it changes still hold the values it was based on: if another
  revision (or a workflow step) changed them in between, nothing is applied and the conflict is shown.
- An approved change that reaches a claim's page is written to the claim's public change log (``ClaimChange``),
  which feeds the Atom feeds; the log names no one.
"""

from __future__ import annotations

import datetime as dt
import decimal
import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from taggit.models import Tag

from claims.models import Assertion, Claim, ClaimChange, Condition, EffectEstimate, Evidence, Status, TaggedClaim
from claims.services import refresh_grading
from kb.cache import bump_content_version
from revisions.models import Revision
from revisions.signals import revision_applied
from sources.models import Source, Study

# The models whose published rows are moderated, and which field names a revision may never carry (kept by the
# workflow or derived).
MODERATED_MODELS = (Claim, Assertion, Evidence, EffectEstimate, Condition, Source, Study, Tag)
CHILDREN_OF_CLAIMS = (Assertion, Evidence, EffectEstimate)
NEVER_PROPOSED = {
    "id", "status", "published_at", "reviewed_at", "reviewed_role", "version", "last_edited_by", "created_at",
    "updated_at", "n_supports", "n_contradicts", "n_qualifies", "n_sources", "suggested_grade", "starting_level",
    "text_sha256", "bottom_line", "bottom_line_draft", "bottom_line_status", "bottom_line_edited_by",
    "source_changed", "offset",
}  # fmt: skip
# Claim fields whose approved change is written to the public change log, and how the log names them.
LOGGED_CLAIM_FIELDS = {
    "text": ClaimChange.Field.TEXT,
    "summary": ClaimChange.Field.SUMMARY,
    "grade": ClaimChange.Field.GRADE,
    "verdict": ClaimChange.Field.VERDICT,
    "rationale": ClaimChange.Field.RATIONALE,
}
JUDGMENT_FIELDS = (
    "risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias", "large_effect",
    "dose_response", "plausible_confounding", "grade_override_reason",
)  # fmt: skip


class RevisionError(Exception):
    """A revision step that is not allowed, with the reason in words."""


class RevisionConflict(RevisionError):
    """The published values the revision was based on have changed since it was proposed."""


# --- What is published --------------------------------------------------------------------------------------------


def claim_of(obj: models.Model) -> Claim | None:
    if isinstance(obj, Claim):
        return obj
    if isinstance(obj, CHILDREN_OF_CLAIMS):
        return obj.claim if obj.claim_id else None
    return None


def is_public(obj: models.Model) -> bool:
    """Whether readers see the stored row ``obj`` (as it is in the database now; one or two queries)."""
    if obj.pk is None:
        return False
    if isinstance(obj, Claim):
        return Claim.objects.filter(pk=obj.pk, status=Status.PUBLISHED).exists()
    if isinstance(obj, CHILDREN_OF_CLAIMS):
        return type(obj).objects.filter(pk=obj.pk, claim__status=Status.PUBLISHED).exists()
    if isinstance(obj, Source):
        return Source.objects.public().filter(pk=obj.pk).exists()
    if isinstance(obj, Study):
        return Study.objects.public().filter(pk=obj.pk).exists()
    if isinstance(obj, Tag):  # its name and page show on the published claims that carry it
        return TaggedClaim.objects.filter(tag_id=obj.pk, content_object__status=Status.PUBLISHED).exists()
    if isinstance(obj, Condition):
        from claims.public import PublicConditions

        # By primary key: in the admin the form has already set ``obj.slug`` to the new one, which no public
        # condition has yet (its change would then be taken for a private condition's and saved at once).
        return PublicConditions().includes(obj.pk)
    return False


def is_moderated(obj: models.Model, new_claim: Claim | None = None) -> bool:
    """Whether saving ``obj`` (stored or new) must go through review: it is public now, or it is a statement,
    evidence row or estimate that would join a published claim (``new_claim``, the claim it is being put on)."""
    if (
        new_claim is not None
        and new_claim.pk
        and Claim.objects.filter(pk=new_claim.pk, status=Status.PUBLISHED).exists()
    ):
        return True
    return is_public(obj)


# --- Values as JSON -------------------------------------------------------------------------------------------------


def _json(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _is_tags(field) -> bool:
    return field.name == "tags" and field.many_to_many


def stored_value(obj: models.Model, name: str):
    """The value of field ``name`` of the stored row ``obj``, as JSON (relations by primary key, tags by name)."""
    field = obj._meta.get_field(name)
    if _is_tags(field):
        return sorted(obj.tags.names())
    if field.many_to_many:
        return sorted(getattr(obj, name).values_list("pk", flat=True))
    if field.is_relation:
        return getattr(obj, field.attname)
    return _json(field.value_from_object(obj))


def cleaned_value(obj: models.Model, name: str, value):
    """A form's cleaned value of field ``name`` as JSON, in the form ``stored_value`` gives."""
    field = obj._meta.get_field(name)
    if _is_tags(field):
        return sorted({str(tag) for tag in value or []})
    if field.many_to_many:
        return sorted(item.pk for item in value or [])
    if field.is_relation:
        return value.pk if value is not None else None
    return _json(value)


def same(proposed, stored) -> bool:
    """Whether a proposed JSON value is the stored one. Line endings do not count: a browser posts a textarea's lines
    with CRLF, so an untouched multi-line rationale would otherwise be proposed as a change (and logged publicly)."""
    if isinstance(proposed, str) and isinstance(stored, str):
        return proposed.replace("\r\n", "\n") == stored.replace("\r\n", "\n")
    return proposed == stored


def proposable_fields(model: type[models.Model], names: Iterable[str]) -> list[str]:
    concrete = {f.name for f in model._meta.get_fields() if getattr(f, "concrete", False) or f.many_to_many}
    return [name for name in names if name in concrete and name not in NEVER_PROPOSED]


# --- Proposing ----------------------------------------------------------------------------------------------------


def _describe(obj: models.Model) -> str:
    return str(obj)[:300] or f"{obj._meta.verbose_name} #{obj.pk}"


def propose(
    obj: models.Model,
    proposed: dict,
    user,
    reason: str,
    *,
    action: str = Revision.Action.CHANGE,
    claim: Claim | None = None,
) -> Revision:
    """Save a pending revision of ``obj`` (a stored row, or for an addition an unsaved one) with the proposed
    values by field name. Nothing of ``obj`` is written."""
    reason = (reason or "").strip()
    if not reason:
        raise RevisionError("Say why: a change to published content needs a reason, which the reviewer reads.")
    model = type(obj)
    if model not in MODERATED_MODELS:
        raise RevisionError(f"{model._meta.verbose_name_plural.capitalize()} are not moderated.")
    base = {}
    if action == Revision.Action.CHANGE:
        stored = model.objects.get(pk=obj.pk)
        base = {name: stored_value(stored, name) for name in proposed}
        proposed = {name: value for name, value in proposed.items() if not same(value, base[name])}
        base = {name: base[name] for name in proposed}
        if not proposed:
            raise RevisionError("Nothing was changed, so there is nothing to review.")
    elif action == Revision.Action.DELETE:
        stored = model.objects.get(pk=obj.pk)
        names = proposable_fields(model, [f.name for f in model._meta.concrete_fields])
        base = {name: stored_value(stored, name) for name in names}
        proposed = {}
    return Revision.objects.create(
        content_type=ContentType.objects.get_for_model(model),
        object_id=obj.pk if action != Revision.Action.ADD else None,
        object_repr=_describe(obj),
        claim=claim if claim is not None else claim_of(obj),
        action=action,
        proposed=proposed,
        base=base,
        reason=reason,
        author=user if getattr(user, "pk", None) else None,
    )


def pending_for(obj: models.Model) -> list[Revision]:
    """The pending revisions of a stored row (one query)."""
    return list(
        Revision.objects.pending()
        .filter(content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk)
        .select_related("author")
    )


# --- Deciding -----------------------------------------------------------------------------------------------------


def may_review(user) -> bool:
    return user.has_perm("claims.publish_claim")


def _check_reviewer(revision: Revision, user, *, override: bool, note: str) -> bool:
    """Raise unless ``user`` may approve ``revision``; True when it is a superuser's recorded self-approval."""
    if not revision.is_pending:
        raise RevisionError(f"This revision is already {revision.get_state_display().lower()}.")
    if not may_review(user):
        raise RevisionError("Only reviewers can approve revisions.")
    if revision.author_id is None or revision.author_id != user.pk:
        return False
    if not user.is_superuser:
        raise RevisionError("You proposed this revision, so another reviewer must approve it.")
    if not override:
        raise RevisionError(
            "You proposed this revision. As a superuser you may approve it anyway, but only by choosing the "
            "self-approval override and giving a reason."
        )
    if not note.strip():
        raise RevisionError("A self-approval override needs a written reason.")
    return True


def conflicts(revision: Revision, stored: models.Model | None) -> list[str]:
    """The fields whose published value is no longer what the revision was based on (empty: none)."""
    if revision.action == Revision.Action.ADD:
        return []
    if stored is None:
        return ["(the row was deleted)"]
    return [name for name, value in revision.base.items() if stored_value(stored, name) != value]


def _assign(obj: models.Model, proposed: dict) -> dict:
    """Set the proposed non-M2M values on ``obj``; return the M2M ones."""
    many = {}
    for name, value in proposed.items():
        field = obj._meta.get_field(name)
        if field.many_to_many:
            many[name] = value
        elif field.is_relation:
            setattr(obj, field.attname, value)
        else:
            setattr(obj, name, field.to_python(value))
    return many


def _log(claim: Claim | None, field: str, before: str, after: str, reason: str, user) -> None:
    if claim is None or claim.status != Status.PUBLISHED:
        return
    ClaimChange.objects.create(
        claim=claim, field=field, before=before[:2000], after=after[:2000], reason=reason, changed_by=user,
        public=True,
    )  # fmt: skip


def _child_words(revision: Revision, obj: models.Model) -> tuple[str, str]:
    """The public change log's field and wording for a change of a claim's statement, evidence row or estimate."""
    verb = {"add": "added", "change": "changed", "delete": "removed"}[revision.action]
    if isinstance(obj, Assertion):
        return ClaimChange.Field.STATEMENT, f"statement of {obj.source.title} {verb}"
    if isinstance(obj, Evidence):
        return ClaimChange.Field.EVIDENCE, f"{obj.study.label} {verb} in the evidence base"
    return ClaimChange.Field.EVIDENCE, f"effect estimate from {obj.study.label} ({obj.outcome}) {verb}"


def approve(revision: Revision, user, *, override: bool = False, note: str = "") -> models.Model | None:
    """Apply a pending revision (one transaction); return the changed row (None for a removal).
    Raises ``RevisionError`` (``RevisionConflict`` when its base changed) and writes nothing then."""
    self_approval = _check_reviewer(revision, user, override=override, note=note)
    model = revision.content_type.model_class()
    with transaction.atomic():
        revision = Revision.objects.select_for_update().get(pk=revision.pk)
        if not revision.is_pending:
            raise RevisionError(f"This revision is already {revision.get_state_display().lower()}.")
        stored = None
        if revision.action != Revision.Action.ADD:
            stored = model.objects.select_for_update().filter(pk=revision.object_id).first()
        changed = conflicts(revision, stored)
        if changed:
            raise RevisionConflict(
                "The published version changed after this revision was proposed ("
                + ", ".join(_label(model, name) for name in changed)
                + "), so nothing was approved. Compare it with the current version, then reject it and propose "
                "the change again on top of the current one."
            )
        why = revision.reason if not note.strip() else f"{revision.reason} (approval: {note.strip()})"
        obj = stored if stored is not None else model()
        if revision.action == Revision.Action.DELETE:
            claim = claim_of(obj)
            field, words = _child_words(revision, obj) if claim is not None else ("", "")
            obj._change_reason, obj._history_user = why, user
            obj.delete()
            if claim is not None:
                _log(Claim.objects.get(pk=claim.pk), field, words, "", why, user)
            result = None
        else:
            result = _apply(revision, obj, user, why)
        revision.state = Revision.State.APPROVED
        revision.decided_by, revision.decided_at = user, timezone.now()
        revision.decision_note, revision.self_approval_override = note.strip(), self_approval
        if result is not None and revision.object_id is None:
            revision.object_id = result.pk
        revision.save()
        bump_content_version()
    return result


def _apply(revision: Revision, obj: models.Model, user, why: str) -> models.Model:
    before = {name: getattr(obj, name) for name in LOGGED_CLAIM_FIELDS} if isinstance(obj, Claim) else {}
    judgments_before = [getattr(obj, name) for name in JUDGMENT_FIELDS] if isinstance(obj, Claim) else []
    many = _assign(obj, revision.proposed)
    conflicts_before = (
        set(obj.conflicting_claims.values_list("pk", flat=True)) if "conflicting_claims" in revision.proposed else set()
    )  # read only when the revision changes them
    try:
        obj.full_clean(exclude=list(many))
    except ValidationError as exc:
        messages = "; ".join(f"{_label(type(obj), k)}: {' '.join(v)}" for k, v in exc.message_dict.items())
        raise RevisionError(f"This revision can no longer be applied: {messages}") from None
    if isinstance(obj, Claim):
        obj.version = (obj.version or 0) + 1
        obj.last_edited_by = revision.author  # its author may not also publish it later
    # Who approved it, for simple-history also when no request is running (a command, a test, a job).
    obj._change_reason, obj._history_user = why, user
    obj.save()
    for name, value in many.items():
        if _is_tags(obj._meta.get_field(name)):
            obj.tags.set(value)
        else:
            getattr(obj, name).set(value)
    claim = claim_of(obj)
    if isinstance(obj, Claim):
        for name, field in LOGGED_CLAIM_FIELDS.items():
            old, new = before[name], getattr(obj, name)
            if old != new:
                _log(obj, field, str(old), str(new), why, user)
        if [getattr(obj, name) for name in JUDGMENT_FIELDS] != judgments_before and "grade" not in revision.proposed:
            _log(obj, ClaimChange.Field.JUDGMENTS, "", "GRADE judgments revised", why, user)
        # Its conditions, tags, conflicting claims, category…: where it shows and what it is linked to.
        scope = [_label(Claim, name).lower() for name in revision.proposed if name not in (*LOGGED_CLAIM_FIELDS,
                 *JUDGMENT_FIELDS)]  # fmt: skip
        if scope:
            _log(obj, ClaimChange.Field.SCOPE, "", f"{', '.join(scope)} changed", why, user)
        # A conflict is symmetrical: the other claims' pages show it too, so their history records it as well.
        if "conflicting_claims" in many:
            for other in Claim.objects.filter(pk__in=conflicts_before ^ set(many["conflicting_claims"])):
                other._change_reason, other._history_user = f"Conflict with “{obj}” changed: {why}", user
                other.save(update_fields=["updated_at"])
    elif claim is not None:
        field, words = _child_words(revision, obj)
        _log(Claim.objects.get(pk=claim.pk), field, "", words, why, user)
    if claim is not None and isinstance(obj, Claim | Evidence):
        refresh_grading(Claim.objects.get(pk=claim.pk), user)
    responses = revision_applied.send(sender=type(obj), revision=revision, instance=obj, user=user)
    # What the receivers did beside it, in words, for the reviewer (a job they queued, say).
    obj.follow_ups = [str(response) for _, response in responses if response]
    return obj


def reject(revision: Revision, user, note: str) -> None:
    if not revision.is_pending:
        raise RevisionError(f"This revision is already {revision.get_state_display().lower()}.")
    if not may_review(user):
        raise RevisionError("Only reviewers can reject revisions.")
    if not note.strip():
        raise RevisionError("Say why the revision is rejected: its author reads it.")
    _decide(revision, user, Revision.State.REJECTED, note)


def withdraw(revision: Revision, user) -> None:
    if not revision.is_pending:
        raise RevisionError(f"This revision is already {revision.get_state_display().lower()}.")
    if revision.author_id != user.pk:
        raise RevisionError("Only its author can withdraw a revision.")
    _decide(revision, user, Revision.State.WITHDRAWN, "")


def _decide(revision: Revision, user, state: str, note: str) -> None:
    updated = Revision.objects.filter(pk=revision.pk, state=Revision.State.PENDING).update(
        state=state, decided_by=user, decided_at=timezone.now(), decision_note=note.strip()
    )
    if not updated:
        raise RevisionError("This revision was decided by someone else in the meantime.")
    revision.refresh_from_db()


# --- Showing a revision -------------------------------------------------------------------------------------------


def _label(model: type[models.Model], name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name).capitalize()
    except Exception:  # noqa: BLE001 - a name that is not a field (the deleted-row marker)
        return name


def display(model: type[models.Model], name: str, value, names: dict | None = None) -> str:
    """A JSON value of field ``name`` in words: choices by label, relations by name, dates as written.
    ``names`` is what ``related_names`` read; without it a relation's names cost a query."""
    if value in (None, "", []):
        return "—"
    field = model._meta.get_field(name)
    if _is_tags(field):
        return ", ".join(value)
    if field.is_relation:
        pks = value if field.many_to_many else [value]
        if names is None:
            names = related_names(model, {name: pks})
        found = sorted(names[field.related_model, pk] for pk in pks if (field.related_model, pk) in names)
        return ", ".join(found) or f"(deleted: {value})"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def related_names(model: type[models.Model], pks_by_field: dict[str, Iterable]) -> dict[tuple, str]:
    """The names of the rows that relation fields of ``model`` point to, by (related model, primary key): one query
    per related model, however many fields and values point to it (a claim's conditions and a condition's parent
    share one). Tags are stored by name and need none."""
    wanted: dict[type[models.Model], set] = {}
    for name, pks in pks_by_field.items():
        field = model._meta.get_field(name)
        if field.is_relation and not _is_tags(field):
            wanted.setdefault(field.related_model, set()).update(pk for pk in pks if pk is not None)
    return {
        (related, pk): str(row)
        for related, pks in wanted.items()
        if pks
        for pk, row in related.objects.in_bulk(pks).items()
    }


@dataclass
class DiffRow:
    field: str
    label: str
    before: str
    after: str
    conflict: bool = False
    current: str = ""

    @cached_property
    def inline_diff(self) -> SafeString | None:
        """For long text, the changed lines side by side (difflib escapes the text); worked out once per row."""
        if max(len(self.before), len(self.after)) < 160:
            return None
        table = difflib.HtmlDiff(wrapcolumn=60).make_table(
            self.before.splitlines(), self.after.splitlines(), "Published", "Proposed", context=True, numlines=1
        )
        return format_html("{}", SafeString(table))


def diff(revision: Revision) -> list[DiffRow]:
    """The revision's fields: published value (when proposed), proposed value, and for a pending revision whether
    the published value has changed since (a conflict), with the current one.

    Queries: the stored row, one per many-to-many field it changes (the current value, pending revisions only) and
    one per related model named (``related_names``)."""
    model = revision.content_type.model_class()
    names = list(revision.proposed) if revision.action != Revision.Action.DELETE else list(revision.base)
    names = [name for name in names if _is_field(model, name)]  # a field removed since is left out
    check = revision.is_pending and revision.action != Revision.Action.ADD
    stored = None
    if revision.object_id is not None:
        many = [name for name in names if check and model._meta.get_field(name).many_to_many]
        stored = model.objects.filter(pk=revision.object_id).prefetch_related(*many).first()
    values = {}
    for name in names:
        before = revision.base.get(name) if revision.action != Revision.Action.ADD else None
        after = revision.proposed.get(name) if revision.action != Revision.Action.DELETE else None
        current = before
        if check:
            current = _prefetched_value(stored, name) if stored is not None else None
        values[name] = (before, after, current)
    lookup = related_names(model, {name: _pks(model, name, trio) for name, trio in values.items()})
    rows = []
    for name, (before, after, current) in values.items():
        row = DiffRow(
            name, _label(model, name), display(model, name, before, lookup), display(model, name, after, lookup)
        )
        if check and current != before:
            row.conflict, row.current = True, display(model, name, current, lookup)
        rows.append(row)
    return rows


def _is_field(model: type[models.Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - FieldDoesNotExist
        return False
    return True


def _pks(model: type[models.Model], name: str, values: Iterable) -> list:
    """The primary keys a relation field's JSON values name (empty for any other field)."""
    field = model._meta.get_field(name)
    if not field.is_relation or _is_tags(field):
        return []
    pks = []
    for value in values:
        if isinstance(value, list):
            pks.extend(value)
        elif value is not None:
            pks.append(value)
    return pks


def _prefetched_value(obj: models.Model, name: str):
    """``stored_value`` reading a prefetched many-to-many field from its cache instead of a new query."""
    field = obj._meta.get_field(name)
    if field.many_to_many and not _is_tags(field):
        return sorted(row.pk for row in getattr(obj, name).all())
    if _is_tags(field):
        return sorted(tag.name for tag in obj.tags.all())
    return stored_value(obj, name)
