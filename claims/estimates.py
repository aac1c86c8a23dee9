"""Effect estimates: checking that every number is in its excerpt, and showing numbers as the page wrote them.

Pure functions: nothing here touches the database.
"""

from __future__ import annotations

import math
import re

# A number written with digits: optional sign (ASCII hyphen, Unicode minus, hyphen or en dash before the digits,
# some pages put a space between: "− 0.89"), thousands separators, decimals. "1,242" is 1242; "0.5" and ".5" are 0.5.
_NUMBER = re.compile(r"(?<![\w.])([-−‐–] ?)?(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d+))?(?!\d)")


def numbers_in(text: str) -> list[float]:
    """Every number written with digits in ``text``. A hyphen or dash before a number is read both ways (it is as
    often a range or a hyphen as a minus: "0.19-0.61" is two positive bounds); a true minus sign (U+2212) only as
    negative, so an estimate in the wrong direction is not taken as traced."""
    found: list[float] = []
    for match in _NUMBER.finditer(text or ""):
        sign, whole, decimals = match.groups()
        sign = sign or ""
        if whole is None and decimals is None:
            continue
        value = float(f"{(whole or '0').replace(',', '')}.{decimals or '0'}")
        if sign.strip() != "−":  # a true minus sign is never a range dash or a hyphen
            found.append(value)
        if sign:
            found.append(-value)
    return found


def written_in(value: float, text: str) -> bool:
    """Whether ``value`` is one of the numbers written in ``text``."""
    return any(math.isclose(value, n, rel_tol=0, abs_tol=1e-9) for n in numbers_in(text))


def format_number(value: float | int | None) -> str:
    """A stored number as a reader expects it: no trailing zeros, a true minus sign ("−0.47", "3", "1242")."""
    if value is None:
        return ""
    text = f"{value:,.6f}".rstrip("0").rstrip(".") if not float(value).is_integer() else f"{int(value):d}"
    return text.replace("-", "−")


def estimate_errors(
    *,
    value: float | None,
    ci_low: float | None,
    ci_high: float | None,
    participants: int | None,
    studies: int | None,
    excerpt: str,
) -> dict[str, str]:
    """What is wrong with an estimate's numbers, by field: each must be written in the excerpt, the CI must hold
    the value, the participants must be a positive count. Empty when nothing is wrong."""
    errors: dict[str, str] = {}
    if value is not None and not written_in(value, excerpt):
        errors["value"] = (
            f"The excerpt does not contain the value {format_number(value)}: quote the passage of the page that "
            "states it."
        )
    if (ci_low is None) != (ci_high is None):
        errors["ci_high" if ci_high is None else "ci_low"] = "Give both bounds of the 95 % CI, or neither."
    elif ci_low is not None and ci_high is not None and value is not None:
        if ci_low > ci_high:
            errors["ci_low"] = "The lower bound of the CI is above its upper bound."
        elif not ci_low <= value <= ci_high:
            errors["ci_low"] = (
                f"The CI {format_number(ci_low)} to {format_number(ci_high)} does not contain the value "
                f"{format_number(value)}."
            )
        for name, bound in (("ci_low", ci_low), ("ci_high", ci_high)):
            if name not in errors and not written_in(bound, excerpt):
                errors[name] = f"The excerpt does not contain the CI bound {format_number(bound)}."
    if participants is not None:
        if participants <= 0:
            errors["participants"] = "The number of participants must be a positive whole number."
        elif not written_in(participants, excerpt):
            errors["participants"] = (
                f"The excerpt does not contain the number of participants ({participants}); leave it empty when the "
                "page does not state it there."
            )
    if studies is not None and studies > 1 and not written_in(studies, excerpt):
        errors["studies"] = f"The excerpt does not contain the number of studies ({studies})."
    return errors
