"""Studies as citations a reference manager imports: RIS (rispy), BibTeX (bibtexparser) and CSL-JSON.

Pure functions over ``Study`` objects: nothing here touches the database. Authors are stored as written in a
reference list, Vancouver style ("Zarate CA Jr, Singh JB, et al."): each name is split into family name, initials and
suffix; a name that is not of that form (an agency) is kept whole, and "et al." says the list is incomplete.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

import bibtexparser
import rispy
from bibtexparser.model import Entry, Field
from django.http import HttpResponse

from sources.models import Study, StudyDesign

RIS_CONTENT_TYPE = "application/x-research-info-systems; charset=utf-8"
BIBTEX_CONTENT_TYPE = "application/x-bibtex; charset=utf-8"
CSL_JSON_CONTENT_TYPE = "application/vnd.citationstyles.csl+json; charset=utf-8"

# Family name, then initials (up to four capitals), then an optional generational suffix.
_VANCOUVER_NAME = re.compile(r"^(?P<family>.+?)\s+(?P<initials>[A-Z]{1,4})(?:\s+(?P<suffix>Jr|Sr|II|III|IV)\.?)?$")
_ET_AL = re.compile(r"^et\.?\s+al\.?$", re.IGNORECASE)
_VOLUME_ISSUE = re.compile(r"^\s*(?P<volume>[^()]+?)\s*\((?P<issue>[^()]+)\)\s*$")
_PAGE_RANGE = re.compile(r"^\s*(?P<first>\w+)\s*[-–—]+\s*(?P<last>\w+)\s*$")


@dataclass(frozen=True)
class Name:
    family: str = ""
    initials: str = ""
    suffix: str = ""
    literal: str = ""  # an organisation, or a name not written "Family Initials"

    @property
    def given(self) -> str:
        """Initials as a reference manager writes them: "KAB" → "K. A. B."."""
        return " ".join(f"{letter}." for letter in self.initials)


def parse_authors(authors: str) -> tuple[list[Name], bool]:
    """The names in a Vancouver-style author list, and whether it ends in "et al."."""
    names, et_al = [], False
    for part in (p.strip() for p in re.split(r"[,;]", authors or "")):
        if not part:
            continue
        if _ET_AL.match(part):
            et_al = True
            continue
        match = _VANCOUVER_NAME.match(part)
        if match:
            names.append(Name(match["family"], match["initials"], match["suffix"] or ""))
        else:
            names.append(Name(literal=part))
    return names, et_al


def _volume_issue(study: Study) -> tuple[str, str]:
    """ "63(8)" → ("63", "8"); anything else is the volume."""
    match = _VOLUME_ISSUE.match(study.volume or "")
    return (match["volume"], match["issue"]) if match else ((study.volume or "").strip(), "")


def _pages(study: Study) -> tuple[str, str]:
    """ "856-864" → ("856", "864"); an article number ("CD011612") is the first page alone."""
    match = _PAGE_RANGE.match(study.pages or "")
    return (match["first"], match["last"]) if match else ((study.pages or "").strip(), "")


def _kind(study: Study) -> str:
    """ "report" for a regulatory document, "article" for anything in a journal, else "document"."""
    if study.design == StudyDesign.REGULATORY:
        return "report"
    return "article" if study.journal else "document"


# --- CSL-JSON ---------------------------------------------------------------------------------------------------

_CSL_TYPES = {"report": "report", "article": "article-journal", "document": "document"}


def csl_item(study: Study) -> dict:
    """One CSL-JSON item (https://citeproc-js.readthedocs.io/en/latest/csl-json/markup.html), keyed by the study's
    slug; empty fields are left out."""
    names, _ = parse_authors(study.authors)
    kind = _kind(study)
    volume, issue = _volume_issue(study)
    first, last = _pages(study)
    item: dict = {"id": study.slug, "type": _CSL_TYPES[kind], "title": study.title or study.label}
    authors = []
    for name in names:
        if name.literal:
            authors.append({"literal": name.literal})
        else:
            person = {"family": name.family, "given": name.given}
            if name.suffix:
                person["suffix"] = name.suffix
            authors.append(person)
    if authors:
        item["author"] = authors
    if study.journal:
        item["genre" if kind == "report" else "container-title"] = study.journal
    if study.year:
        item["issued"] = {"date-parts": [[study.year]]}
    optional = {
        "volume": volume,
        "issue": issue,
        "page": f"{first}-{last}" if last else first,
        "DOI": study.doi,
        "PMID": str(study.pmid) if study.pmid else "",
        "URL": study.url,
    }
    item.update({key: value for key, value in optional.items() if value})
    return item


def to_csl_json(studies: Iterable[Study]) -> str:
    """A CSL-JSON document: an array of items, one per study (an empty array for none)."""
    return json.dumps([csl_item(s) for s in studies], ensure_ascii=False, indent=2) + "\n"


# --- RIS --------------------------------------------------------------------------------------------------------

_RIS_TYPES = {"report": "RPRT", "article": "JOUR", "document": "GEN"}


def ris_entry(study: Study) -> dict:
    """One RIS reference as rispy names its tags."""
    names, _ = parse_authors(study.authors)
    kind = _kind(study)
    volume, issue = _volume_issue(study)
    first, last = _pages(study)
    entry: dict = {"type_of_reference": _RIS_TYPES[kind], "title": study.title or study.label}
    authors = []
    for name in names:  # RIS: "Family, Given, Suffix"; an agency is written whole
        if name.literal:
            authors.append(name.literal)
        else:
            authors.append(", ".join(p for p in (name.family, name.given, name.suffix) if p))
    if authors:
        entry["authors"] = authors
    if study.journal:
        if kind == "report":
            entry["type_of_work"] = study.journal  # M3: "FDA news release"
        else:
            entry["secondary_title"] = study.journal  # T2, the journal's name as Zotero reads it
    optional = {
        "year": str(study.year) if study.year else "",
        "volume": volume,
        "number": issue,
        "start_page": first,
        "end_page": last,
        "doi": study.doi,
        "accession_number": str(study.pmid) if study.pmid else "",
        "name_of_database": "PubMed" if study.pmid else "",
        "id": study.slug,
    }
    entry.update({key: value for key, value in optional.items() if value})
    if study.url:
        entry["urls"] = [study.url]
    return entry


class _RisWriter(rispy.RisWriter):
    """rispy's writer without the "1.", "2." line it writes before each reference (not part of RIS)."""

    def set_header(self, count: int) -> str:
        return ""


def to_ris(studies: Iterable[Study]) -> str:
    """A RIS file: one reference per study, ``TY`` to ``ER`` (an empty file for none)."""
    entries = [ris_entry(s) for s in studies]
    return rispy.dumps(entries, implementation=_RisWriter) if entries else ""


# --- BibTeX -----------------------------------------------------------------------------------------------------

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_LATEX_PATTERN = re.compile("|".join(re.escape(c) for c in _LATEX_SPECIAL))
# Words with two capitals or more (PTSD, NMDA, FDA, esKetamine): braced, so that a style does not lowercase them.
_ACRONYM = re.compile(r"(?<![\\\w])([^\W\d_]*[A-Z][^\W_]*[A-Z][^\W_]*)")


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def latex_escape(text: str) -> str:
    """Text as a braced BibTeX value: every character TeX treats specially is escaped. BibTeX counts the braces of
    ``\\{`` and ``\\}`` too, so text whose braces do not pair up has them written as parentheses (a value with
    unbalanced braces would break the whole file). Other characters stay UTF-8, which BibTeX 8-bit, Biber and
    reference managers read."""
    text = " ".join(text.split())
    if not _balanced(text):
        text = text.replace("{", "(").replace("}", ")")
    return _LATEX_PATTERN.sub(lambda m: _LATEX_SPECIAL[m.group()], text)


def _verbatim(value: str) -> str:
    """A DOI or URL: written as it is, except braces (which would unbalance the value) percent-encoded."""
    return value.replace("{", "%7B").replace("}", "%7D").replace("\\", "%5C")


def _bibtex_name(name: Name) -> str:
    if name.literal:  # an agency: one braced unit, never split into first and last names
        return "{" + latex_escape(name.literal) + "}"
    family = latex_escape(name.family)
    if name.suffix:
        return f"{family}, {name.suffix}, {name.given}"
    return f"{family}, {name.given}"


def bibtex_entry(study: Study) -> Entry:
    names, et_al = parse_authors(study.authors)
    kind = _kind(study)
    volume, issue = _volume_issue(study)
    first, last = _pages(study)
    authors = [_bibtex_name(n) for n in names] + (["others"] if et_al and names else [])
    title = _ACRONYM.sub(r"{\1}", latex_escape(study.title or study.label))
    values = [
        ("author", " and ".join(authors)),
        ("title", title),
        ("journal" if kind == "article" else "howpublished", latex_escape(study.journal)),
        ("year", str(study.year or "")),
        ("volume", latex_escape(volume)),
        ("number", latex_escape(issue)),
        ("pages", latex_escape(f"{first}--{last}" if last else first)),
        ("doi", _verbatim(study.doi)),
        ("pmid", str(study.pmid or "")),
        ("url", _verbatim(study.url)),
    ]
    # bibtexparser's writer encloses each value in braces.
    fields = [Field(key, value) for key, value in values if value]
    return Entry("article" if kind == "article" else "misc", study.slug, fields)


def to_bibtex(studies: Iterable[Study]) -> str:
    """A BibTeX file, one entry per study keyed by its slug (an empty file for none)."""
    library = bibtexparser.Library([bibtex_entry(s) for s in studies])
    return bibtexparser.write_string(library) if library.entries else ""


FORMATS = {
    "ris": (to_ris, RIS_CONTENT_TYPE),
    "bib": (to_bibtex, BIBTEX_CONTENT_TYPE),
    "json": (to_csl_json, CSL_JSON_CONTENT_TYPE),
}


def citation_response(studies: Iterable[Study], fmt: str, filename: str) -> HttpResponse:
    """The studies as a download in ``fmt`` ("ris", "bib" or "json"), named ``filename`` plus the extension."""
    write, content_type = FORMATS[fmt]
    response = HttpResponse(write(studies), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
