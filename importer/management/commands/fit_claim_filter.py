from __future__ import annotations

from importer.bench import fit_claim_filter
from importer.claimfilter import COEFFICIENTS
from importer.management.fitcommand import FitCommand


class Command(FitCommand):
    help = (
        "Fit the import's claim filter (importer/claimfilter.json) on every labelled article: the seed's and the "
        "held-out ones, its threshold chosen by a leave-one-article-out over them. Deterministic; needs neither the "
        "knowledge base nor the embedding model."
    )
    fit = staticmethod(fit_claim_filter)
    output = COEFFICIENTS
    make_target = "claim-filter"
