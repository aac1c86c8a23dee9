"""Signals of the revisions app, for apps whose content needs more than its fields set when a revision applies."""

from django.dispatch import Signal

# Sent inside the approval's transaction, after the proposed values were saved, with ``revision`` (its ``base``
# holds the values it replaced) and ``instance`` (the saved row). A receiver that raises undoes the approval.
revision_applied = Signal()
