"""Citation exports (RIS, BibTeX, CSL-JSON) of studies, claims and conditions, read back with real parsers, and a
condition's claims as CSV."""

from __future__ import annotations

import csv
import io
import json
import os
import warnings

import bibtexparser
import citeproc
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware, SeparateCoAuthors, SplitNameParts
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON

from sources.citations import parse_authors
from tests.factories import AssertionFactory, ClaimFactory, ConditionFactory, EvidenceFactory, StudyFactory

pytestmark = pytest.mark.django_db

ZARATE = {
    "label": "Zarate et al. 2006",
    "slug": "zarate-et-al-2006",
    "authors": "Zarate CA Jr, Singh JB, aan het Rot M, et al.",
    "title": "A randomized trial of an NMDA antagonist in treatment-resistant major depression",
    "journal": "Archives of General Psychiatry",
    "year": 2006,
    "volume": "63(8)",
    "pages": "856-864",
    "doi": "10.1001/archpsyc.63.8.856",
    "pmid": 16894061,
    "design": "rct",
}
FDA = {
    "label": "FDA 2019",
    "slug": "fda-2019",
    "authors": "U.S. Food and Drug Administration",
    "title": "FDA approves new nasal spray medication for treatment-resistant depression",
    "journal": "FDA news release",
    "year": 2019,
    "url": "https://www.fda.gov/news-events/press-announcements/esketamine",
    "design": "regulatory",
}


@pytest.fixture
def cited(site_content):
    """Two more studies in the published claim's evidence base, and one only a draft uses."""
    helps = site_content["helps"]
    zarate = StudyFactory(**ZARATE)
    fda = StudyFactory(**FDA)
    EvidenceFactory(claim=helps, study=zarate)
    EvidenceFactory(claim=helps, study=fda, direction="inconclusive")
    hidden = StudyFactory(label="Hidden 2024", slug="hidden-2024", title="Only a draft rests on it")
    EvidenceFactory(claim=site_content["draft"], study=hidden)
    return {"zarate": zarate, "fda": fda, "hidden": hidden}


def _bibtex(text: str):
    """Entries as a reference manager reads them: names split into parts, LaTeX in other fields decoded (names are
    split first: decoding would drop the braces that keep an agency's name whole)."""
    names = bibtexparser.parse_string(text, append_middleware=[SeparateCoAuthors(), SplitNameParts()])
    decoded = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    assert not names.failed_blocks and not decoded.failed_blocks
    return names.entries, decoded.entries


def _csl_bibliography(items: list[dict]) -> list[str]:
    """Render CSL-JSON with citeproc-py and its bundled style; any field citeproc does not know is an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # citeproc-py warns about fields outside CSL
        source = CiteProcJSON(items)
    styles = os.path.join(os.path.dirname(citeproc.__file__), "data", "styles")
    style = CitationStylesStyle(os.path.join(styles, "harvard-cite-them-right.csl"), validate=False)
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    return [str(entry) for entry in bibliography.bibliography()]


# --- authors ----------------------------------------------------------------------------------------------------


def test_vancouver_author_lists_are_split_into_names():
    names, et_al = parse_authors("Zarate CA Jr, aan het Rot M, Lapidus KAB, et al.")
    assert [(n.family, n.given, n.suffix) for n in names] == [
        ("Zarate", "C. A.", "Jr"), ("aan het Rot", "M.", ""), ("Lapidus", "K. A. B.", ""),
    ]  # fmt: skip
    assert et_al
    names, et_al = parse_authors("Losek JD; Emergency Department Ketamine Meta-Analysis Study Group")
    assert names[0].family == "Losek" and names[1].literal == "Emergency Department Ketamine Meta-Analysis Study Group"
    assert not et_al
    assert parse_authors("") == ([], False)


# --- one study --------------------------------------------------------------------------------------------------


def test_study_ris_reads_back_with_rispy(client, cited, django_assert_num_queries):
    with django_assert_num_queries(1):  # the study, if a published claim uses it
        response = client.get("/studies/zarate-et-al-2006/cite.ris")
    assert response["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="zarate-et-al-2006.ris"'
    [entry] = rispy.loads(response.content.decode())
    assert entry["type_of_reference"] == "JOUR"
    assert entry["authors"] == ["Zarate, C. A., Jr", "Singh, J. B.", "aan het Rot, M."]
    assert entry["title"] == ZARATE["title"] and entry["secondary_title"] == "Archives of General Psychiatry"
    assert (entry["year"], entry["volume"], entry["number"]) == ("2006", "63", "8")
    assert (entry["start_page"], entry["end_page"]) == ("856", "864")
    assert entry["doi"] == "10.1001/archpsyc.63.8.856" and entry["accession_number"] == "16894061"


def test_study_bibtex_reads_back_with_bibtexparser(client, cited):
    response = client.get("/studies/zarate-et-al-2006/cite.bib")
    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    [named], [entry] = _bibtex(response.content.decode())
    assert entry.entry_type == "article" and entry.key == "zarate-et-al-2006"
    assert [(p.last, p.first, p.von, p.jr) for p in named["author"]] == [
        (["Zarate"], ["C.", "A."], [], ["Jr"]),
        (["Singh"], ["J.", "B."], [], []),
        (["Rot"], ["M."], ["aan", "het"], []),
        (["others"], [], [], []),
    ]
    assert entry["title"] == ZARATE["title"]  # {NMDA} is protected from lowercasing, and decodes back
    assert "{NMDA}" in response.content.decode()
    assert entry["journal"] == "Archives of General Psychiatry" and entry["pages"] == "856–864"
    assert entry["doi"] == "10.1001/archpsyc.63.8.856" and entry["pmid"] == "16894061"


def test_study_csl_json_renders_with_citeproc(client, cited):
    response = client.get("/studies/zarate-et-al-2006/cite.json")
    assert response["Content-Type"] == "application/vnd.citationstyles.csl+json; charset=utf-8"
    items = json.loads(response.content)
    assert items[0]["type"] == "article-journal" and items[0]["PMID"] == "16894061"
    assert items[0]["author"][0] == {"family": "Zarate", "given": "C. A.", "suffix": "Jr"}
    [text] = _csl_bibliography(items)
    assert "Zarate" in text and "(2006)" in text and "Archives of General Psychiatry, 63(8), pp. 856–864" in text


def test_a_regulatory_document_is_a_report_with_its_agency_as_author(client, cited):
    [ris] = rispy.loads(client.get("/studies/fda-2019/cite.ris").content.decode())
    assert ris["type_of_reference"] == "RPRT" and ris["authors"] == ["U.S. Food and Drug Administration"]
    assert ris["urls"] == [FDA["url"]]
    [named], [entry] = _bibtex(client.get("/studies/fda-2019/cite.bib").content.decode())
    assert entry.entry_type == "misc" and entry["howpublished"] == "FDA news release"
    assert [p.last for p in named["author"]] == [["{U.S. Food and Drug Administration}"]]  # one name, not split
    items = json.loads(client.get("/studies/fda-2019/cite.json").content)
    assert items[0]["type"] == "report" and items[0]["author"] == [{"literal": "U.S. Food and Drug Administration"}]
    assert "FDA news release" in _csl_bibliography(items)[0]


def test_characters_special_to_tex_survive_every_format(client, site_content):
    awkward = StudyFactory(
        slug="awkward", authors="O'Brien K, Müller-Lüdenscheid H", design="rct", journal="J. Pain & Symptom Mgmt",
        title="Ketamine 100% {safe}? A $5 dose_response study # 1 ~ ^ \\ & more }{",
    )  # fmt: skip
    EvidenceFactory(claim=site_content["helps"], study=awkward)
    [named], [entry] = _bibtex(client.get("/studies/awkward/cite.bib").content.decode())
    # Unpaired braces become parentheses: BibTeX counts escaped braces too, and one unbalanced value breaks a file.
    # (pylatexenc, bibtexparser's decoder, reads \textasciicircum as the modifier letter "ˆ"; TeX prints "^".)
    title = entry["title"].replace("ˆ", "^")
    assert title == "Ketamine 100% (safe)? A $5 dose_response study # 1 ~ ^ \\ & more )("
    assert entry["journal"] == "J. Pain & Symptom Mgmt"
    assert [p.last for p in named["author"]] == [["O'Brien"], ["Müller-Lüdenscheid"]]
    [ris] = rispy.loads(client.get("/studies/awkward/cite.ris").content.decode())
    assert ris["title"] == awkward.title
    items = json.loads(client.get("/studies/awkward/cite.json").content)
    assert items[0]["title"] == awkward.title
    _csl_bibliography(items)


def test_balanced_braces_survive_bibtex(client, site_content):
    study = StudyFactory(slug="braced", title="The {ketamine} question")
    EvidenceFactory(claim=site_content["helps"], study=study)
    _, [entry] = _bibtex(client.get("/studies/braced/cite.bib").content.decode())
    assert entry["title"] == "The {ketamine} question"


def test_a_study_only_drafts_use_has_no_citation_export(client, cited):
    for fmt in ("ris", "bib", "json"):
        assert client.get(f"/studies/hidden-2024/cite.{fmt}").status_code == 404
        assert client.get(f"/studies/no-such-study/cite.{fmt}").status_code == 404
    assert client.get("/studies/zarate-et-al-2006/cite.pdf").status_code == 404


def test_a_study_cited_by_a_published_claims_statement_is_exportable(client, site_content):
    cited_only = StudyFactory(slug="cited-only")
    AssertionFactory(claim=site_content["common"], source=site_content["clinic"], cited_study=cited_only,
                     quote="Ketamine has a low risk", offset=34)  # fmt: skip
    assert client.get("/studies/cited-only/cite.ris").status_code == 200


# --- a claim's evidence base, a condition's studies ---------------------------------------------------------------


def test_a_claims_whole_evidence_base_in_each_format(client, cited, django_assert_num_queries):
    with django_assert_num_queries(2):  # the claim, its studies
        ris = client.get("/claims/ketamine-reduces-ptsd-symptoms/cite.ris")
    assert ris["Content-Disposition"] == 'attachment; filename="ketamine-reduces-ptsd-symptoms-evidence.ris"'
    order = ["zarate-et-al-2006", "feder-et-al-2014", "fda-2019"]  # oldest first
    assert [e["id"] for e in rispy.loads(ris.content.decode())] == order
    _, entries = _bibtex(client.get("/claims/ketamine-reduces-ptsd-symptoms/cite.bib").content.decode())
    assert [e.key for e in entries] == order
    items = json.loads(client.get("/claims/ketamine-reduces-ptsd-symptoms/cite.json").content)
    assert [i["id"] for i in items] == order
    assert len(_csl_bibliography(items)) == 3


def test_a_draft_claim_has_no_citation_export(client, cited):
    for fmt in ("ris", "bib", "json"):
        assert client.get(f"/claims/ketamine-cures-ptsd/cite.{fmt}").status_code == 404
        assert client.get(f"/claims/nope/cite.{fmt}").status_code == 404


def test_a_claim_without_evidence_exports_valid_empty_files(client, site_content):
    slug = site_content["common"].slug
    assert rispy.loads(client.get(f"/claims/{slug}/cite.ris").content.decode()) == []
    library = bibtexparser.parse_string(client.get(f"/claims/{slug}/cite.bib").content.decode())
    assert library.entries == [] and library.failed_blocks == []
    assert json.loads(client.get(f"/claims/{slug}/cite.json").content) == []


def test_a_conditions_export_holds_every_study_behind_its_page_and_no_drafts(
    client, cited, site_content, django_assert_num_queries
):
    general = ClaimFactory(slug="general-claim", applies_generally=True)  # listed on every condition page
    EvidenceFactory(claim=general, study=StudyFactory(slug="general-study", year=2001))
    elsewhere = ClaimFactory(slug="elsewhere")
    elsewhere.conditions.add(ConditionFactory(slug="ocd", name="OCD"))
    EvidenceFactory(claim=elsewhere, study=StudyFactory(slug="ocd-study"))
    with django_assert_num_queries(2):  # conditions, studies
        response = client.get("/conditions/ptsd/cite.json")
    assert response["Content-Disposition"] == 'attachment; filename="ptsd-studies.json"'
    ids = [item["id"] for item in json.loads(response.content)]
    assert ids == ["general-study", "zarate-et-al-2006", "feder-et-al-2014", "fda-2019"]
    assert "hidden-2024" not in ids and "ocd-study" not in ids
    assert len(rispy.loads(client.get("/conditions/ptsd/cite.ris").content.decode())) == 4
    assert len(_bibtex(client.get("/conditions/ptsd/cite.bib").content.decode())[1]) == 4


def test_a_condition_only_drafts_are_about_has_no_exports(client, site_content):
    hidden = ConditionFactory(name="Tinnitus", slug="tinnitus")
    site_content["draft"].conditions.add(hidden)
    for url in ("/conditions/tinnitus/cite.ris", "/conditions/tinnitus/claims.csv", "/conditions/nope/cite.bib"):
        assert client.get(url).status_code == 404, url


# --- the condition's claims as CSV ------------------------------------------------------------------------------


def _csv_rows(response) -> list[dict]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # the byte-order mark Excel needs to read UTF-8
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_condition_csv_lists_the_claims_of_its_page(client, cited, site_content, django_assert_num_queries):
    with django_assert_num_queries(4):  # conditions, claims, key studies, sources per stance
        response = client.get("/conditions/ptsd/claims.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="ptsd-claims.csv"'
    rows = _csv_rows(response)
    assert list(rows[0]) == [
        "slug", "claim", "category", "verdict", "certainty", "sources supporting", "sources contradicting",
        "sources qualifying", "key study", "url",
    ]  # fmt: skip
    by_slug = {row["slug"]: row for row in rows}
    assert set(by_slug) == {"ketamine-reduces-ptsd-symptoms", "ketamine-low-risk-side-effects", "side-effects-common"}
    helps = by_slug["ketamine-reduces-ptsd-symptoms"]
    assert (helps["category"], helps["verdict"], helps["certainty"]) == ("Efficacy", "Supported", "Low")
    assert (helps["sources supporting"], helps["sources contradicting"], helps["sources qualifying"]) == ("1", "0", "1")
    assert helps["key study"] == "Feder et al. 2014"  # an RCT, newer than Zarate 2006
    assert helps["url"] == "http://testserver/claims/ketamine-reduces-ptsd-symptoms/"
    low_risk = by_slug["ketamine-low-risk-side-effects"]
    assert (low_risk["sources supporting"], low_risk["sources contradicting"]) == ("1", "1")
    assert "Ketamine cures PTSD permanently" not in response.content.decode()


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t"])
def test_condition_csv_neutralises_spreadsheet_formulas(client, site_content, start):
    text = f'{start}HYPERLINK("http://evil.example","click")'
    ClaimFactory(text=text, slug="formula").conditions.add(site_content["ptsd"])
    row = next(r for r in _csv_rows(client.get("/conditions/ptsd/claims.csv")) if r["slug"] == "formula")
    assert row["claim"] == "'" + text


# --- links on the pages -----------------------------------------------------------------------------------------


def test_study_page_links_its_citation_exports_only_when_public(client, cited):
    html = client.get("/studies/zarate-et-al-2006/").content.decode()
    assert 'href="/studies/zarate-et-al-2006/cite.ris">RIS</a>' in html
    assert 'href="/studies/zarate-et-al-2006/cite.bib">BibTeX</a>' in html
    assert 'href="/studies/zarate-et-al-2006/cite.json">CSL-JSON</a>' in html
    assert "cite.ris" not in client.get("/studies/hidden-2024/").content.decode()


def test_claim_page_links_its_evidence_exports_and_the_feed(client, cited):
    html = client.get("/claims/ketamine-reduces-ptsd-symptoms/").content.decode()
    assert 'href="/claims/ketamine-reduces-ptsd-symptoms/cite.bib">BibTeX</a>' in html
    assert '<link rel="alternate" type="application/atom+xml"' in html and 'href="/feeds/claims.atom"' in html


def test_condition_page_links_its_csv_exports_and_feed(client, site_content):
    html = client.get("/conditions/ptsd/").content.decode()
    assert 'href="/conditions/ptsd/claims.csv"' in html
    assert 'href="/conditions/ptsd/cite.ris">RIS</a>' in html
    head = html.split("</head>", 1)[0]
    assert '<link rel="alternate" type="application/atom+xml"' in head and 'href="/conditions/ptsd/feed.atom"' in head
