from django.apps import AppConfig


class ImporterConfig(AppConfig):
    name = "importer"
    verbose_name = "Article import"

    def ready(self) -> None:
        from importer.services import new_version_approved
        from revisions.signals import revision_applied
        from sources.models import Source

        # A public source's new text, approved: its quotes are re-checked and its candidates proposed.
        revision_applied.connect(new_version_approved, sender=Source, dispatch_uid="importer-new-version")
