"""Query helpers shared by the apps."""

from __future__ import annotations

from django.db.models import Count, QuerySet, Subquery
from django.db.models.functions import Coalesce


def correlated_count(rows: QuerySet, key: str, counted: str = "*", distinct: bool = False) -> Coalesce:
    """How many of ``rows`` there are (or distinct values of ``counted``) as a correlated subquery, 0 for none.

    ``rows`` is filtered on ``key=OuterRef(...)``. Unlike ``Count()`` over a JOIN with GROUP BY, the database
    evaluates it only for the rows the outer query returns (a page, after ORDER BY and LIMIT), and other joins
    in the outer query cannot inflate it.
    """
    grouped = rows.order_by().values(key).annotate(n=Count(counted, distinct=distinct)).values("n")
    return Coalesce(Subquery(grouped), 0)
