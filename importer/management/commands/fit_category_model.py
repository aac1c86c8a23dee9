from __future__ import annotations

import json

from importer.bench import fit_category_model
from importer.categorymodel import COEFFICIENTS
from importer.management.fitcommand import FitCommand


class Command(FitCommand):
    help = (
        "Fit the import's learned category model (importer/categorymodel.json) on every labelled article's answers: "
        "the seed's and the held-out ones. Deterministic; needs neither the knowledge base nor the embedding model."
    )
    fit = staticmethod(fit_category_model)
    output = COEFFICIENTS
    make_target = "category-model"

    @staticmethod
    def dumps(data: dict) -> str:
        """One line per key and one per category's coefficients: the file stays readable and its diffs short."""
        lines = []
        for key, value in data.items():
            if key == "coef":
                rows = ",\n  ".join(json.dumps(row) for row in value)
                lines.append(f' "coef": [\n  {rows}\n ]')
            else:
                lines.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
        return "{\n" + ",\n".join(lines) + "\n}\n"
