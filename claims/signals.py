"""Keep the search index and the claims' stored stance counts in step with edits.

Bulk writes call ``search.rebuild_index()`` instead of indexing row by row; bulk writes of assertions recount
their claims in ``AssertionQuerySet``.
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver
from taggit.models import Tag

from claims import figures, search
from claims.models import (
    Assertion,
    Claim,
    ClaimChange,
    Condition,
    EffectEstimate,
    Evidence,
    SearchEntry,
    TaggedClaim,
)
from kb.cache import bump_content_version
from revisions.signals import revision_applied
from sources.models import Source, Study

CONTENT_MODELS = (Claim, Assertion, Evidence, Source, Study, Condition, TaggedClaim, ClaimChange, EffectEstimate)


@receiver(pre_save, sender=Claim)
def claim_saving(sender, instance: Claim, raw: bool = False, **kwargs) -> None:
    # The status it has in the database now (one query): a save that publishes or unpublishes it re-indexes the
    # sources that state it (the workflow's steps write the status with update() and re-index them themselves).
    stored = None
    if instance.pk is not None and not raw:
        stored = Claim.objects.filter(pk=instance.pk).values_list("status", flat=True).first()
    instance._stored_status = stored


@receiver(post_save, sender=Claim)
def claim_saved(sender, instance: Claim, raw: bool = False, **kwargs) -> None:
    # A claim loaded before its assertions changed writes its stale counts back when saved: recount.
    Claim.objects.filter(pk=instance.pk).refresh_stance_counts()
    stored = instance.__dict__.pop("_stored_status", None)
    if not raw:
        figures.claims_changed([instance.pk])  # its status or grade may have changed what the pages count
        search.index_claim(instance)
        if stored is not None and stored != instance.status:
            search.index_sources_of([instance.pk])
            search.index_studies_of([instance.pk])  # a study only drafts use is not searchable


@receiver(pre_delete, sender=Claim)
def claim_deleting(sender, instance: Claim, **kwargs) -> None:
    # Its condition and tag links go with it, without m2m signals: remember them, to recount once it is gone.
    # So do its condition-page entries: remember the pages they were on.
    instance._links = figures.links_of([instance.pk])
    instance._pages = figures.page_keys_of([instance.pk])


@receiver(post_delete, sender=Claim)
def claim_deleted(sender, instance: Claim, **kwargs) -> None:
    search.unindex(SearchEntry.Kind.CLAIM, instance.pk)
    links, pages = instance.__dict__.pop("_links", (set(), set())), instance.__dict__.pop("_pages", set())
    figures.claims_changed([instance.pk], links, pages)
    # Its assertions are deleted with it (cascade, each through assertion_changed), which re-indexes their sources.


@receiver(m2m_changed, sender=Claim.conditions.through)
@receiver(m2m_changed, sender=Claim.tags.through)
def claim_relations_changed(sender, instance, action: str, reverse: bool, **kwargs) -> None:
    if action.startswith("post_") and isinstance(instance, Claim):
        search.index_claim(instance)


@receiver(m2m_changed, sender=Claim.conditions.through)
def claim_conditions_changed(sender, instance, action: str, reverse: bool, pk_set=None, **kwargs) -> None:
    # The published claims counted per condition and the condition pages' entries (claims.figures): the conditions
    # and the claims linked or unlinked. A clear gives no ids: the links it removes are read before it.
    if action == "pre_clear":
        if reverse:
            claims = set(instance.claims.values_list("pk", flat=True))
            instance._cleared_links = ({instance.pk}, claims)
        else:
            instance._cleared_links = (set(instance.conditions.values_list("pk", flat=True)), {instance.pk})
    elif action in ("post_add", "post_remove", "post_clear"):
        if action == "post_clear":
            conditions, claims = instance.__dict__.pop("_cleared_links", (set(), set()))
        elif reverse:
            conditions, claims = {instance.pk}, set(pk_set or ())
        else:
            conditions, claims = set(pk_set or ()), {instance.pk}
        figures.links_changed(conditions, claims)


@receiver(m2m_changed, sender=Claim.conflicting_claims.through)
def claim_conflicts_changed(sender, instance, action: str, pk_set=None, **kwargs) -> None:
    # The stored conflicting pairs the pages read (claims.figures). A clear gives no ids: read before it.
    if action == "pre_clear":
        instance._cleared_conflicts = set(instance.conflicting_claims.values_list("pk", flat=True))
    elif action in ("post_add", "post_remove", "post_clear"):
        others = instance.__dict__.pop("_cleared_conflicts", set()) if action == "post_clear" else set(pk_set or ())
        figures.conflicts_changed({instance.pk} | others)


@receiver(post_save, sender=TaggedClaim)
@receiver(post_delete, sender=TaggedClaim)
def claim_tagged(sender, instance: TaggedClaim, raw: bool = False, **kwargs) -> None:
    # Every way of tagging a claim or removing a tag (taggit's add, set, remove and clear, a tag deleted or merged)
    # writes or deletes these rows one by one.
    if not raw:
        figures.refresh_tags([instance.tag_id])


@receiver(pre_save, sender=Condition)
def condition_saving(sender, instance: Condition, raw: bool = False, **kwargs) -> None:
    # The condition it lies within now (one query): moved elsewhere, the pages that list its claims change.
    stored = None
    if instance.pk is not None and not raw:
        stored = Condition.objects.filter(pk=instance.pk).values_list("parent_id", flat=True).first()
    instance._stored_parent_id = stored


@receiver(post_save, sender=Condition)
def condition_saved(sender, instance: Condition, created: bool, raw: bool = False, **kwargs) -> None:
    stored = instance.__dict__.pop("_stored_parent_id", None)
    if not raw and not created and stored != instance.parent_id:
        figures.conditions_moved([instance.pk])


@receiver(pre_delete, sender=Condition)
def condition_deleting(sender, instance: Condition, **kwargs) -> None:
    # Its links go with it, without m2m signals: remember its claims, whose entries on the pages of the conditions
    # it lay within go too.
    instance._claim_ids = set(instance.claims.values_list("pk", flat=True))


@receiver(post_delete, sender=Condition)
def condition_deleted(sender, instance: Condition, **kwargs) -> None:
    figures.links_changed([instance.pk], instance.__dict__.pop("_claim_ids", set()))
    # No Summary of Findings changes: a condition with estimates, or with conditions within it, cannot be deleted.


@receiver(pre_save, sender=EffectEstimate)
def estimate_saving(sender, instance: EffectEstimate, raw: bool = False, **kwargs) -> None:
    # The outcome, time point and condition it has in the database now: a save that changes them rewrites the
    # Summary of Findings rows of both (one query).
    stored = None
    if instance.pk is not None and not raw:
        stored = EffectEstimate.objects.filter(pk=instance.pk).values_list("outcome", "timepoint", "condition_id")
        stored = stored.first()
    instance._stored_finding_key = stored


@receiver(post_save, sender=EffectEstimate)
@receiver(post_delete, sender=EffectEstimate)
def estimate_changed(sender, instance: EffectEstimate, raw: bool = False, **kwargs) -> None:
    # The condition pages' Summary of Findings (claims.figures), also when the claim's deletion takes it along.
    stored = instance.__dict__.pop("_stored_finding_key", None)
    if not raw:
        figures.findings_changed({(instance.outcome, instance.timepoint, instance.condition_id), stored} - {None})


@receiver(pre_save, sender=Study)
def study_saving(sender, instance: Study, raw: bool = False, **kwargs) -> None:
    # Its design and year as stored now: they decide which estimate a Summary of Findings shows (one query).
    stored = None
    if instance.pk is not None and not raw:
        stored = Study.objects.filter(pk=instance.pk).values_list("design", "year").first()
    instance._stored_rank_fields = stored


@receiver(pre_save, sender=Assertion)
def assertion_saving(sender, instance: Assertion, **kwargs) -> None:
    # The claim and cited study it has in the database now: a save that moves it to another claim recounts both,
    # and one that cites another study re-indexes both studies (one query).
    stored = None
    if instance.pk is not None:
        stored = Assertion.objects.filter(pk=instance.pk).values_list("claim_id", "cited_study_id").first()
    instance._stored_claim_id, instance._stored_cited_study_id = stored or (None, None)


@receiver(post_save, sender=Assertion)
@receiver(post_delete, sender=Assertion)
def assertion_changed(sender, instance: Assertion, raw: bool = False, **kwargs) -> None:
    claims = {instance.claim_id, instance.__dict__.pop("_stored_claim_id", None)} - {None}
    Claim.objects.filter(pk__in=claims).refresh_stance_counts()
    if raw:
        return
    claim = Claim.objects.filter(pk=instance.claim_id).first()
    if claim is not None:
        search.index_claim(claim)
    source = Source.objects.filter(pk=instance.source_id).first()
    if source is not None:  # its first (or last) statement of a published claim makes it public (or private)
        search.index_source(source)
    studies = {instance.cited_study_id, instance.__dict__.pop("_stored_cited_study_id", None)} - {None}
    if studies:  # a citation in a statement of a published claim makes a study public
        search.index_studies(studies)


@receiver(pre_save, sender=Evidence)
def evidence_saving(sender, instance: Evidence, **kwargs) -> None:
    # The study it has in the database now: moving the evidence to another study re-indexes both (one query).
    stored = None
    if instance.pk is not None:
        stored = Evidence.objects.filter(pk=instance.pk).values_list("study_id", flat=True).first()
    instance._stored_study_id = stored


@receiver(post_save, sender=Evidence)
@receiver(post_delete, sender=Evidence)
def evidence_changed(sender, instance: Evidence, raw: bool = False, **kwargs) -> None:
    studies = {instance.study_id, instance.__dict__.pop("_stored_study_id", None)} - {None}
    if not raw:  # a published claim's evidence base makes a study public; the last one gone makes it private
        search.index_studies(studies)


@receiver(post_save, sender=Source)
def source_saved(sender, instance: Source, raw: bool = False, **kwargs) -> None:
    if not raw:
        search.index_source(instance)


@receiver(post_delete, sender=Source)
def source_deleted(sender, instance: Source, **kwargs) -> None:
    search.unindex(SearchEntry.Kind.SOURCE, instance.pk)


@receiver(post_save, sender=Study)
def study_saved(sender, instance: Study, raw: bool = False, **kwargs) -> None:
    stored = instance.__dict__.pop("_stored_rank_fields", None)
    if not raw:
        search.index_study(instance)
        if stored is not None and stored != (instance.design, instance.year):
            estimates = EffectEstimate.objects.filter(study=instance).order_by()
            figures.findings_changed(set(estimates.values_list("outcome", "timepoint", "condition_id").distinct()))


@receiver(post_delete, sender=Study)
def study_deleted(sender, instance: Study, **kwargs) -> None:
    search.unindex(SearchEntry.Kind.STUDY, instance.pk)


@receiver(pre_save, sender=Tag)
def tag_saving(sender, instance: Tag, raw: bool = False, **kwargs) -> None:
    # The name it has in the database now: only a rename re-indexes its claims (one query).
    stored = None
    if instance.pk is not None and not raw:
        stored = Tag.objects.filter(pk=instance.pk).values_list("name", flat=True).first()
    instance._stored_name = stored


@receiver(post_save, sender=Tag)
def tag_saved(sender, instance: Tag, created: bool, raw: bool = False, **kwargs) -> None:
    # A renamed tag: its claims' pages show the new name at once (pages read it from the database; cached copies
    # are made stale here), and their search entries hold it once the job queued here has run.
    stored = instance.__dict__.pop("_stored_name", None)
    if raw or created:
        return
    bump_content_version()  # its slug is in links too
    if stored == instance.name:  # search entries hold the name only
        return
    claim_ids = Claim.objects.filter(tags=instance).values_list("pk", flat=True)
    instance._reindex_job = _queue_reindex(claim_ids, f"Search entries of the claims tagged “{instance.name}”")


@receiver(pre_delete, sender=Tag)
def tag_deleting(sender, instance: Tag, **kwargs) -> None:
    # A deleted tag (the one left after a merge: its claims were given the other tag first) is deleted with its
    # links, by cascade and without m2m signals: remember its claims, to re-index them once it is gone.
    instance._claim_ids = list(Claim.objects.filter(tags=instance).values_list("pk", flat=True))


@receiver(post_delete, sender=Tag)
def tag_deleted(sender, instance: Tag, **kwargs) -> None:
    bump_content_version()
    claim_ids = instance.__dict__.pop("_claim_ids", [])
    instance._reindex_job = _queue_reindex(
        claim_ids, f"Search entries of the claims that were tagged “{instance.name}”"
    )


def _queue_reindex(claim_ids, title: str):
    """A job (importer/tasks.py) re-indexes the claims: in the request it would take one write per claim, and a
    tag may be on thousands. Returns it, for the admin's message (None when the tag was on no claim)."""
    from importer.tasks import queue_claims_reindex

    return queue_claims_reindex(claim_ids, title=title)


def _content_changed(sender, **kwargs) -> None:
    if not kwargs.get("raw"):
        bump_content_version()


# Any write that could change a public page makes every cached page stale (see kb/cache.py).
for _model in CONTENT_MODELS:
    post_save.connect(_content_changed, sender=_model, dispatch_uid=f"bump-{_model.__name__}-save")
    post_delete.connect(_content_changed, sender=_model, dispatch_uid=f"bump-{_model.__name__}-delete")
for _through in (Claim.conditions.through, Claim.conflicting_claims.through):
    m2m_changed.connect(_content_changed, sender=_through, dispatch_uid=f"bump-{_through.__name__}")


@receiver(revision_applied, sender=Tag)
def tag_revision_applied(sender, instance: Tag, user, **kwargs) -> str:
    # An approved rename of a public tag: the approver is told of the re-index job (and may retry it).
    from importer.models import Job

    job = instance.__dict__.pop("_reindex_job", None)
    if job is None:
        return ""
    Job.objects.filter(pk=job.pk, created_by=None).update(created_by=user)
    return f"The claims’ search entries are being updated by a background job (job #{job.pk}: {job.title})."
