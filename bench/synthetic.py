"""A deterministic, realistic synthetic knowledge base for benchmarks and scale tests.

``generate(claims=N, seed=S)`` writes about N claims with 5–10 assertions each, one source per ~20 claims
(whose archived text contains every quote verbatim at its stored offset), one study per ~5 claims (DOIs under
the test prefix 10.5555 and PMIDs from 900,000,001 up, so none can be mistaken for a real one), 30
conditions, tags, evidence links, conflicting-claim pairs and grade history, with a realistic mix of grades,
stances, citation fidelity and statuses (drafts and claims in review included).

Every synthetic claim, source, study and condition has a slug starting with ``syn-``: that is how the
generator tells its own records from an editor's. It refuses a database that holds anything else unless
forced, and replaces its own earlier output. The same seed and size always give the same content (the
primary keys depend on the database). Rows are written with ``bulk_create`` in batches, so no signals
run; the search index is rebuilt, the pages' stored counts recounted (``claims.figures``) and the page cache
invalidated at the end. The claims' stored stance counts are recounted batch by batch as their assertions are
inserted (``AssertionQuerySet.bulk_create``).

It lives beside the benchmark it serves (``bench/run.py`` runs it through ``manage.py generate_synthetic``).
"""

from __future__ import annotations

import hashlib
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TextIO

from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils.text import slugify
from taggit.models import Tag

from claims import grading
from claims.figures import refresh_all
from claims.models import (
    Assertion,
    Claim,
    ClaimChange,
    Condition,
    ConflictEntry,
    EffectEstimate,
    Evidence,
    FindingEntry,
    PageEntry,
    PageFigure,
    TaggedClaim,
    recount_stance_counts,
)
from claims.search import rebuild_index
from kb.cache import bump_content_version
from kb.progress import Progress
from sources.models import Source, Study

PREFIX = "syn-"
DOI_PREFIX = "10.5555/kb-syn."  # 10.5555 is the DOI test prefix: it never resolves to a real work
PMID_BASE = 900_000_000  # real PMIDs are below 40 million
BATCH = 2000
CLAIMS_PER_SOURCE = 20
CLAIMS_PER_STUDY = 5
MIN_SOURCES = 10  # so that even a tiny knowledge base gives each claim 5–10 distinct sources
MIN_STUDIES = 20


class SyntheticRefused(Exception):
    """The database holds content the generator did not write; nothing was changed."""


# --- vocabulary -------------------------------------------------------------------------------------------

# (name, aliases); the first ones are the most written-about, so condition pages differ a lot in size.
CONDITIONS = [
    ("Treatment-resistant depression", ["TRD"]),
    ("Major depressive disorder", ["MDD", "depression"]),
    ("Suicidal ideation", ["suicidality"]),
    ("PTSD", ["post-traumatic stress disorder"]),
    ("Chronic pain", []),
    ("Bipolar depression", []),
    ("Generalised anxiety disorder", ["GAD"]),
    ("Alcohol use disorder", ["AUD", "alcoholism"]),
    ("Obsessive-compulsive disorder", ["OCD"]),
    ("Neuropathic pain", []),
    ("Postoperative pain", []),
    ("Complex regional pain syndrome", ["CRPS"]),
    ("Social anxiety disorder", []),
    ("Opioid use disorder", ["OUD"]),
    ("Cocaine use disorder", []),
    ("Postpartum depression", ["perinatal depression"]),
    ("Fibromyalgia", []),
    ("Migraine", []),
    ("Cluster headache", []),
    ("Late-life depression", ["depression in older adults"]),
    ("Adolescent depression", []),
    ("Depression in palliative care", []),
    ("Anorexia nervosa", []),
    ("Status epilepticus", []),
    ("Acute agitation", []),
    ("Procedural sedation", []),
    ("Parkinson's disease depression", []),
    ("Phantom limb pain", []),
    ("Tinnitus", []),
    ("Autism spectrum disorder", ["ASD"]),
]

TAGS = [
    "infusion", "esketamine", "nasal spray", "nmda", "dissociation", "bladder", "abuse potential", "maintenance",
    "rapid onset", "suicidality", "dosing", "veterans", "adolescents", "older adults", "anaesthesia", "glutamate",
    "bdnf", "neuroplasticity", "psychotherapy", "blood pressure", "cost", "off-label", "fda", "relapse",
    "remission", "placebo", "midazolam", "open-label", "long-term", "home use", "telehealth", "lozenges",
    "intramuscular", "oral", "cognition", "inflammation", "sleep", "booster sessions", "combination therapy",
    "emergency department",
]  # fmt: skip

ROUTES = ["intravenous ketamine", "intranasal esketamine", "oral ketamine", "intramuscular ketamine",
          "sublingual ketamine", "ketamine lozenges"]  # fmt: skip
DOSES = ["0.5 mg/kg", "1 mg/kg", "0.2 mg/kg", "56 mg", "84 mg", "a sub-anaesthetic dose"]
TIMES = ["within 24 hours", "within two hours", "within a week", "after the first infusion", "within four hours"]
DURATIONS = ["for about a week", "for up to two weeks", "for a month or more", "for three to five days",
             "only for a few days"]  # fmt: skip
POPULATIONS = ["adults", "older adults", "adolescents", "veterans", "outpatients", "inpatients"]
EFFECTS = ["dissociation", "raised blood pressure", "nausea", "dizziness", "headache", "blurred vision",
           "bladder pain", "drowsiness"]  # fmt: skip
MECHANISMS = ["blocking NMDA receptors", "a surge of glutamate", "raising BDNF levels", "mTOR signalling",
              "rebuilding synapses", "opioid receptor activity", "reducing inflammation",
              "resetting the default mode network"]  # fmt: skip

TEMPLATES = {
    "mechanism": [
        "Ketamine relieves {cond} by {mech}",
        "The antidepressant effect of ketamine depends on {mech}",
        "Ketamine's benefit in {cond} is explained by {mech}",
        "Esketamine acts on {cond} through {mech}",
    ],
    "indication": [
        "Ketamine is an effective treatment for {cond}",
        "{route} is approved for {cond}",
        "Ketamine should be offered to {pop} with {cond} after two failed treatments",
        "Ketamine is used off-label for {cond}",
    ],
    "efficacy": [
        "{route} reduces symptoms of {cond} in {pop}",
        "Ketamine at {dose} is more effective than placebo for {cond}",
        "Most {pop} with {cond} respond to a course of {route}",
        "Ketamine works as well as electroconvulsive therapy for {cond}",
        "Ketamine brings remission of {cond} in about a third of {pop}",
    ],
    "onset": [
        "Ketamine improves {cond} {time}",
        "{route} relieves {cond} {time}",
        "The effect of ketamine on {cond} in {pop} begins {time}",
    ],
    "duration": [
        "A single dose of ketamine relieves {cond} {duration}",
        "The benefit of {route} for {cond} lasts {duration}",
        "Repeated infusions keep {cond} in remission {duration}",
    ],
    "side_effect": [
        "Ketamine commonly causes {effect}",
        "{route} at {dose} causes {effect} in {pop}",
        "{effect} after ketamine usually passes within two hours",
        "Ketamine for {cond} rarely causes {effect}",
    ],
    "safety": [
        "Ketamine has a low risk of addiction when used for {cond}",
        "Ketamine is safe for {pop} with {cond}",
        "Repeated ketamine use can damage the bladder",
        "{route} is safe at {dose} under medical supervision",
        "Ketamine does not harm memory in {pop}",
    ],
    "administration": [
        "{route} is given at {dose}",
        "A course of six {route} sessions over two weeks is standard for {cond}",
        "Ketamine for {cond} must be given under medical observation for two hours",
        "{route} can be taken at home for {cond}",
    ],
    "history": [
        "Ketamine was first synthesised in 1962",
        "Ketamine was approved as an anaesthetic in 1970",
        "The rapid antidepressant effect of ketamine was first reported in 2000",
        "Esketamine nasal spray was approved for depression in 2019",
    ],
    "candidacy": [
        "People with uncontrolled high blood pressure should not receive {route}",
        "{pop} with {cond} are good candidates for ketamine",
        "People with a history of psychosis should not receive ketamine for {cond}",
        "Ketamine is not suitable for {pop} with {cond} who misuse substances",
    ],
}
CATEGORY_WEIGHTS = {
    "efficacy": 24, "safety": 14, "side_effect": 12, "onset": 10, "indication": 10, "administration": 8,
    "mechanism": 8, "duration": 7, "candidacy": 5, "history": 2,
}  # fmt: skip

SUPPORTING = ["{S}.", "Research shows that {s}.", "{S}, according to our clinicians.", "Studies suggest {s}.",
              "It is well established that {s}.", "Our patients find that {s}.", "{S}, trials report."]  # fmt: skip
CONTRADICTING = ["There is no reliable evidence that {s}.", "It is not true that {s}.",
                 "Claims that {s} are not supported by trials.", "Contrary to popular belief, it is false that {s}.",
                 "The idea that {s} is a myth."]  # fmt: skip
QUALIFYING = ["{S}, but only in small, short trials.", "{S} in some patients, though the effect often fades.",
              "{S}, although most studies lacked a proper placebo.", "Only a minority find that {s}.",
              "{S}, yet the evidence is preliminary."]  # fmt: skip
FILLER = [
    "Ketamine is a dissociative anaesthetic.",
    "Always talk to your doctor before starting a new treatment.",
    "Book a free consultation with our team today.",
    "The treatment room is quiet and dimly lit.",
    "Insurance rarely covers the cost of infusions.",
    "Each session is followed by a short rest.",
    "Patients are asked not to drive on the day of treatment.",
    "This article was reviewed by a member of our medical team.",
    "Ketamine has been on the WHO list of essential medicines for decades.",
    "Researchers continue to study new uses of the drug.",
    "Some clinics combine infusions with talking therapy.",
    "The drug is also used in veterinary medicine.",
    "Side effects are monitored throughout each session.",
    "Readers should not use ketamine outside a medical setting.",
    "More trials are under way.",
    "Prices vary between clinics and countries.",
]

SOURCE_KINDS = [
    ("clinic", 30), ("blog", 20), ("news", 18), ("reference", 10), ("review", 10), ("primary_study", 5),
    ("regulator", 4), ("other", 3),
]  # fmt: skip
TITLES = ["Ketamine for {cond}: what you need to know", "Is ketamine safe? The facts about {cond} treatment",
          "How ketamine therapy works", "Ketamine infusions explained", "The truth about ketamine and {cond}",
          "A guide to esketamine", "Ketamine: hope or hype for {cond}?", "What the research says about ketamine",
          "Ten things to know before ketamine treatment", "Ketamine clinic FAQ"]  # fmt: skip
PUBLISHERS = ["Calm Mind Clinics", "Renew Ketamine Center", "Daily Health News", "The Science Post", "MindWell Blog",
              "Harm Reduction Hub", "Psychiatry Review", "National Medicines Agency", "Wellness Weekly",
              "Bright Path Infusions"]  # fmt: skip
SURNAMES = [
    "Zarate", "Berman", "Murrough", "Feder", "Daly", "Fava", "Singh", "Phillips", "Nakamura", "Okafor", "Lindqvist",
    "Moreau", "Kowalski", "Haddad", "Tanaka", "Oliveira", "Schmidt", "Rossi", "Novak", "Walsh", "Chen", "Kumar",
    "Andersen", "Dubois", "Silva", "Popescu", "Larsen", "Ibrahim", "Costa", "Yilmaz",
]  # fmt: skip
JOURNALS = ["Journal of Synthetic Psychiatry", "Synthetic Pain Medicine", "Archives of Imaginary Neuroscience",
            "Proceedings of the Synthetic Society", "Synthetic Clinical Trials"]  # fmt: skip
DESIGNS = [
    ("rct", 18), ("meta_analysis_rct", 4), ("systematic_review", 6), ("non_randomised", 8), ("cohort", 14),
    ("case_control", 4), ("case_series", 12), ("case_report", 6), ("preclinical", 10), ("expert_opinion", 4),
    ("regulatory", 2),
]  # fmt: skip
CONCERNS = [("none", 74), ("serious", 22), ("very_serious", 4)]
# Most claims are settled among the sources that make them; some are debated and a few openly contested.
CONTROVERSY = [
    (55, [("supports", 95), ("qualifies", 4), ("contradicts", 1)]),
    (30, [("supports", 65), ("qualifies", 20), ("contradicts", 15)]),
    (15, [("supports", 40), ("qualifies", 20), ("contradicts", 40)]),
]
FIDELITY = [("not_checked", 40), ("accurate", 40), ("overstated", 10), ("misattributed", 5), ("wrong_study", 5)]
FIDELITY_NOTES = {
    "overstated": "The study measured a smaller, shorter effect than the article says.",
    "misattributed": "The finding comes from a different author group.",
    "wrong_study": "The cited study is about a different question.",
}
STATUSES = [("published", 82), ("in_review", 6), ("draft", 12)]
LEVELS = ["very_low", "low", "moderate", "high"]


# --- planning (pure Python, no database) -------------------------------------------------------------------


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _lower_first(text: str) -> str:
    """Lower-case the first letter (Ketamine is → ketamine is), except in acronyms (PTSD) and Parkinson's."""
    first = text.split()[0]
    if (len(first) > 1 and first.isupper()) or first.startswith("Parkinson"):
        return text
    return text[0].lower() + text[1:]


@dataclass
class AssertionPlan:
    source: int  # index into the source list
    stance: str
    quote: str
    cited_study: int | None
    fidelity: str
    offset: int = 0


@dataclass
class ClaimPlan:
    text: str
    slug: str
    category: str
    status: str
    conditions: list[int]
    tags: list[int]
    evidence: list[tuple[int, str]]  # (study index, direction)
    judgments: grading.Judgments
    grade: str
    override_reason: str
    published_at: datetime | None
    history_from: str  # previous grade, or "" when there is no recorded change
    assertions: list[AssertionPlan] = field(default_factory=list)
    verdict: str = "not_assessed"
    general: bool = False
    # (study index, outcome, measure, value, ci_low, ci_high, participants, time point)
    estimates: list[tuple] = field(default_factory=list)


@dataclass
class Plan:
    studies: list[Study]
    sources: list[Source]
    claims: list[ClaimPlan]
    conflicts: list[tuple[int, int]]


def _study(rng: random.Random, i: int) -> Study:
    surname = rng.choice(SURNAMES)
    year = rng.randint(1995, 2024)
    design = _pick(rng, DESIGNS)
    has_doi = design != "regulatory" and rng.random() < 0.9
    has_pmid = design not in ("regulatory", "expert_opinion") and rng.random() < 0.75
    number = i + 1
    return Study(
        label=f"{surname} et al. {year} (S{number:06d})",
        slug=f"{PREFIX}study-{number:06d}",
        authors=f"{surname} A, {rng.choice(SURNAMES)} B, {rng.choice(SURNAMES)} C",
        title=f"Ketamine in {_lower_first(rng.choice(CONDITIONS)[0])}: a {dict(Study.Design.choices)[design].lower()}",
        journal=rng.choice(JOURNALS) if design != "regulatory" else "",
        year=year,
        volume=str(rng.randint(1, 90)),
        pages=f"{(p := rng.randint(1, 900))}-{p + rng.randint(4, 14)}",
        doi=f"{DOI_PREFIX}{number:07d}" if has_doi else "",
        pmid=PMID_BASE + number if has_pmid else None,
        url=f"https://regulator.example/decisions/{number}" if design == "regulatory" else "",
        design=design,
        population=f"{rng.choice(POPULATIONS)} with {_lower_first(rng.choice(CONDITIONS)[0])}",
        sample_size=rng.randint(8, 600) if design not in ("preclinical", "expert_opinion", "regulatory") else None,
        summary="A synthetic study record generated for benchmarks.",
    )


def _source(rng: random.Random, i: int, condition_names: list[str]) -> Source:
    kind = _pick(rng, SOURCE_KINDS)
    title = rng.choice(TITLES).format(cond=rng.choice(condition_names))
    publisher = rng.choice(PUBLISHERS)
    number = i + 1
    slug = f"{PREFIX}src-{number:05d}-{slugify(title)[:80]}".rstrip("-")
    published = date(2016, 1, 1) + timedelta(days=rng.randint(0, 3000))
    return Source(
        title=f"{title} ({number})",
        slug=slug,
        url=f"https://{slugify(publisher)}.example/{slug}",
        author=f"{rng.choice(['A.', 'J.', 'M.', 'S.'])} {rng.choice(SURNAMES)}",
        publisher=publisher,
        published_on=published,
        accessed_on=published + timedelta(days=rng.randint(30, 900)),
        kind=kind,
        commercial_interest=kind == "clinic" or (kind == "blog" and rng.random() < 0.3),
        commercial_interest_note="Booking prompts and prices on the page." if kind == "clinic" else "",
        archive_name=f"synthetic/{slug}.txt",
    )


def _claim_text(rng: random.Random, category: str, conditions: list[str]) -> str:
    template = rng.choice(TEMPLATES[category])
    cond = conditions[0] if conditions else rng.choice(CONDITIONS)[0]
    text = template.format(
        cond=_lower_first(cond),
        route=rng.choice(ROUTES),
        dose=rng.choice(DOSES),
        time=rng.choice(TIMES),
        duration=rng.choice(DURATIONS),
        pop=rng.choice(POPULATIONS),
        effect=rng.choice(EFFECTS),
        mech=rng.choice(MECHANISMS),
    )
    return text[0].upper() + text[1:]


def _quote(rng: random.Random, text: str, stance: str) -> str:
    forms = {"supports": SUPPORTING, "contradicts": CONTRADICTING, "qualifies": QUALIFYING}[stance]
    return rng.choice(forms).format(S=text, s=_lower_first(text))


def plan(n_claims: int, seed: int, progress: Progress | None = None) -> Plan:
    """Everything to write, decided by one seeded random generator (no database access)."""
    rng = random.Random(f"kb-synthetic:{seed}")
    n_sources = max(MIN_SOURCES, round(n_claims / CLAIMS_PER_SOURCE))
    n_studies = max(MIN_STUDIES, n_claims // CLAIMS_PER_STUDY)
    condition_names = [name for name, _ in CONDITIONS]
    # A few conditions, studies and tags attract most of the writing (Zipf-like weights).
    condition_weights = [1 / (rank + 2) for rank in range(len(CONDITIONS))]
    study_weights = [1 / (rank + 10) for rank in range(n_studies)]
    tag_weights = [1 / (rank + 3) for rank in range(len(TAGS))]
    categories = list(CATEGORY_WEIGHTS)

    studies = [_study(rng, i) for i in range(n_studies)]
    sources = [_source(rng, i, condition_names) for i in range(n_sources)]
    claims: list[ClaimPlan] = []
    epoch = datetime(2023, 1, 1, tzinfo=UTC)
    for i in range(n_claims):
        category = rng.choices(categories, weights=list(CATEGORY_WEIGHTS.values()))[0]
        n_conditions = 0 if category in ("mechanism", "history") and rng.random() < 0.5 else rng.choice([1, 1, 1, 2])
        conditions = sorted(set(rng.choices(range(len(CONDITIONS)), weights=condition_weights, k=n_conditions)))
        text = _claim_text(rng, category, [condition_names[c] for c in conditions])
        tags = sorted(set(rng.choices(range(len(TAGS)), weights=tag_weights, k=rng.randint(1, 3))))
        n_studied = rng.choices([0, 1, 2, 3, 4], weights=[25, 30, 25, 12, 8])[0]
        studied = sorted(set(rng.choices(range(n_studies), weights=study_weights, k=n_studied)))
        evidence = [(s, rng.choices(["supports", "contradicts", "inconclusive"], [75, 10, 15])[0]) for s in studied]
        designs = [studies[s].design for s in studied]
        judgments = grading.Judgments(
            starting_level=grading.starting_level_for_designs(designs),
            risk_of_bias=_pick(rng, CONCERNS),
            inconsistency=_pick(rng, CONCERNS),
            indirectness=_pick(rng, CONCERNS),
            imprecision=_pick(rng, CONCERNS),
            publication_bias=_pick(rng, [("none", 90), ("serious", 10)]),
            large_effect=rng.choices([0, 1, 2], [90, 8, 2])[0],
            dose_response=rng.random() < 0.05,
            plausible_confounding=rng.random() < 0.03,
        )
        suggested = grading.suggested_level(judgments)
        status = _pick(rng, STATUSES)
        grade, override = suggested, ""
        if status == "draft" and rng.random() < 0.5:
            grade = "not_graded"
        elif rng.random() < 0.1:
            # Editors sometimes disagree with the arithmetic by one level, and must say why.
            level = LEVELS.index(suggested) + rng.choice([-1, 1])
            grade = LEVELS[min(3, max(0, level))]
            if grade != suggested:
                override = "The judgments understate how consistent the trials are."
        history_from = ""
        if grade != "not_graded" and rng.random() < 0.3:
            history_from = LEVELS[(LEVELS.index(grade) + 1) % 4]
        claim = ClaimPlan(
            text=text,
            slug=f"{PREFIX}{i + 1:06d}-{slugify(text)[:100]}".rstrip("-"),
            category=category,
            status=status,
            conditions=conditions,
            tags=tags,
            evidence=evidence,
            judgments=judgments,
            grade=grade,
            override_reason=override,
            published_at=epoch + timedelta(minutes=rng.randint(0, 900_000)) if status == "published" else None,
            history_from=history_from,
        )
        stances = rng.choices([s for _, s in CONTROVERSY], weights=[w for w, _ in CONTROVERSY])[0]
        for source in rng.sample(range(n_sources), rng.randint(5, 10)):
            stance = _pick(rng, stances)
            cited, fidelity = None, "not_checked"
            if rng.random() < 0.4:
                fidelity = _pick(rng, FIDELITY)
                wrong = fidelity == "wrong_study" or not studied
                cited = rng.randrange(n_studies) if wrong else rng.choice(studied)
            claim.assertions.append(AssertionPlan(source, stance, _quote(rng, text, stance), cited, fidelity))
        claims.append(claim)
        if progress:
            progress.advance()

    _plan_answers(f"kb-synthetic-answers:{seed}", claims)

    # Conflicting pairs: about one claim in fifty contradicts another (kept once, lower index first).
    conflicts = set()
    for _ in range(max(1, n_claims // 50) if n_claims > 1 else 0):
        a, b = rng.sample(range(n_claims), 2)
        conflicts.add((min(a, b), max(a, b)))

    _write_source_texts(rng, sources, claims)
    return Plan(studies=studies, sources=sources, claims=claims, conflicts=sorted(conflicts))


VERDICTS = [("supported", 40), ("partly_supported", 15), ("insufficient_evidence", 25), ("contradicted", 10),
            ("not_assessed", 10)]  # fmt: skip
OUTCOMES = [("Response", "odds_ratio"), ("Remission", "risk_ratio"), ("Depression severity", "mean_difference"),
            ("Suicidal ideation", "standardised_mean_difference"), ("Adverse events", "risk_ratio")]  # fmt: skip
TIMEPOINTS = ["24 hours", "day 7", "4 weeks"]
GENERAL_CATEGORIES = {"side_effect", "safety", "administration"}


def _plan_answers(seed: str, claims: list[ClaimPlan]) -> None:
    """Verdicts, claims about ketamine in general and effect estimates, from a generator of their own, so the rest
    of the plan stays what it was for a given seed. About one claim with evidence in three reports an estimate."""
    rng = random.Random(seed)
    for claim in claims:
        claim.verdict = _pick(rng, VERDICTS)
        if claim.verdict == "supported" and not claim.evidence:
            claim.verdict = "insufficient_evidence"
        claim.general = claim.category in GENERAL_CATEGORIES and rng.random() < 0.3
        if claim.evidence and claim.conditions and rng.random() < 0.33:
            for study, _ in claim.evidence[: rng.randint(1, 2)]:
                outcome, measure = rng.choice(OUTCOMES)
                ratio = measure.endswith("ratio")
                value = round(rng.uniform(1.1, 4.0) if ratio else rng.uniform(-8.0, -0.2), 2)
                spread = round(rng.uniform(0.1, 0.9) * (value if ratio else 2), 2)
                low, high = round(value - abs(spread) / 2, 2), round(value + abs(spread), 2)
                participants = rng.randint(20, 2000)
                claim.estimates.append(
                    (study, outcome, measure, value, low, high, participants, rng.choice(TIMEPOINTS))
                )


def _write_source_texts(rng: random.Random, sources: list[Source], claims: list[ClaimPlan]) -> None:
    """Compose each source's archived text around its quotes, recording each quote's offset."""
    quoted: list[list[AssertionPlan]] = [[] for _ in sources]
    for claim in claims:
        for assertion in claim.assertions:
            quoted[assertion.source].append(assertion)
    for source, assertions in zip(sources, quoted, strict=True):
        rng.shuffle(assertions)
        parts = [source.title, "\n\n"]
        length = len(source.title) + 2
        in_paragraph = 0
        for assertion in assertions:
            for _ in range(rng.choice([0, 0, 1, 1, 2])):
                sentence = rng.choice(FILLER) + " "
                parts.append(sentence)
                length += len(sentence)
            assertion.offset = length
            parts.append(assertion.quote)
            length += len(assertion.quote)
            in_paragraph += 1
            separator = "\n\n" if in_paragraph >= rng.randint(3, 6) else " "
            if separator == "\n\n":
                in_paragraph = 0
            parts.append(separator)
            length += len(separator)
        parts.append("Sources and further reading are listed on the original page.\n")
        source.text = "".join(parts)
        source.text_sha256 = hashlib.sha256(source.text.encode("utf-8")).hexdigest()


# --- writing -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    claims: int
    assertions: int
    sources: int
    studies: int
    conditions: int
    replaced: int  # synthetic claims deleted first


def content_counts() -> dict[str, int]:
    """How many claims, sources, studies and conditions the generator did not write (four queries)."""
    return {
        "claims": Claim.objects.exclude(slug__startswith=PREFIX).count(),
        "sources": Source.objects.exclude(slug__startswith=PREFIX).count(),
        "studies": Study.objects.exclude(slug__startswith=PREFIX).count(),
        "conditions": Condition.objects.exclude(slug__startswith=PREFIX).count(),
    }


def check_database(force: bool) -> None:
    """Refuse a database with real content unless forced (raises ``SyntheticRefused``)."""
    real = {name: n for name, n in content_counts().items() if n}
    if real and not force:
        listed = ", ".join(f"{n:,} {name}" for name, n in real.items())
        raise SyntheticRefused(
            f"This database already holds content that is not synthetic ({listed}). Synthetic records would be "
            "mixed into it. Point DATABASE_URL at an empty database, or pass --force to add the synthetic records "
            "alongside the existing ones (they are never changed)."
        )


def _delete_synthetic() -> int:
    """Remove an earlier synthetic knowledge base (and nothing else); returns how many claims it had.

    Plain SQL deletes, children first: the ORM would send per-row signals (search index, page cache) and turn
    hundreds of thousands of deletes into millions of queries; the index and cache are refreshed afterwards.
    """
    n_claims = Claim.objects.filter(slug__startswith=PREFIX).count()
    if not n_claims and not Source.objects.filter(slug__startswith=PREFIX).exists():
        return 0
    synthetic = {
        model: f"SELECT id FROM {model._meta.db_table} WHERE slug LIKE %s"  # noqa: S608 - table names only
        for model in (Claim, Source, Study, Condition)
    }
    statements = [
        (EffectEstimate, "claim_id", Claim),
        (EffectEstimate, "study_id", Study),
        (Assertion, "claim_id", Claim),
        (Assertion, "source_id", Source),
        (Evidence, "claim_id", Claim),
        (TaggedClaim, "content_object_id", Claim),
        (ClaimChange, "claim_id", Claim),
        (PageEntry, "claim_id", Claim),
        (ConflictEntry, "from_claim_id", Claim),
        (ConflictEntry, "to_claim_id", Claim),
        (PageEntry, "condition_id", Condition),
        (PageFigure, "condition_id", Condition),
        (Claim.conditions.through, "claim_id", Claim),
        (Claim.conditions.through, "condition_id", Condition),
        (Claim.conflicting_claims.through, "from_claim_id", Claim),
        (Claim.conflicting_claims.through, "to_claim_id", Claim),
        (Claim, "id", Claim),
        (Source, "id", Source),
        (Study, "id", Study),
    ]
    # An editor's claim may quote a synthetic source; those assertions go too, and the claim is recounted.
    quoting = set(
        Assertion.objects.filter(source__slug__startswith=PREFIX)
        .exclude(claim__slug__startswith=PREFIX)
        .values_list("claim_id", flat=True)
    )
    with connection.cursor() as cursor:
        # Every Summary of Findings row (derived: refresh_all() rewrites them once the new set is in): some show
        # an estimate deleted below.
        cursor.execute(f"DELETE FROM {FindingEntry._meta.db_table}")  # noqa: S608 - a table name only
        for model, column, parent in statements:
            table = model._meta.db_table
            cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({synthetic[parent]})", [PREFIX + "%"])  # noqa: S608
        # Conditions last: one lies within another, so the link goes first.
        Condition.objects.filter(slug__startswith=PREFIX).update(parent=None)
        EffectEstimate.objects.filter(condition__slug__startswith=PREFIX).update(condition=None)
        table = Condition._meta.db_table
        cursor.execute(f"DELETE FROM {table} WHERE id IN ({synthetic[Condition]})", [PREFIX + "%"])  # noqa: S608
    recount_stance_counts(quoting)
    return n_claims


def _bulk(model, objects: list, progress: Progress | None = None) -> list:
    created = []
    for start in range(0, len(objects), BATCH):
        batch = model.objects.bulk_create(objects[start : start + BATCH], batch_size=BATCH)
        created.extend(batch)
        if progress:
            progress.advance(len(batch))
    return created


def generate(
    claims: int,
    seed: int = 1,
    *,
    force: bool = False,
    stream: TextIO | None = sys.stderr,
    log: Callable[[str], None] | None = None,
) -> Result:
    """Write a synthetic knowledge base of ``claims`` claims in one transaction (see the module docstring)."""
    if claims < 1:
        raise ValueError("claims must be at least 1")
    progress = Progress(stream)
    with transaction.atomic():
        check_database(force)
        replaced = _delete_synthetic()
        if replaced and log:
            log(f"Replaced the earlier synthetic knowledge base ({replaced:,} claims).")
        progress.start("planning", claims)
        the_plan = plan(claims, seed, progress)
        progress.finish()
        result = _write(the_plan, progress)
        progress.start("search index", 1)
        rebuild_index()
        progress.finish()
        refresh_all()  # bulk inserts send no signals: the pages' stored counts (claims.figures)
    # Fresh statistics, or the query planner judges the bulk-loaded tables by their empty past. On PostgreSQL,
    # VACUUM also marks the new pages all-visible, which index-only scans need (it cannot run in a transaction).
    with connection.cursor() as cursor:
        vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
    bump_content_version()
    return Result(replaced=replaced, **result)


def _write(the_plan: Plan, progress: Progress) -> dict[str, int]:
    # Conditions: synthetic names may coincide with an editor's condition (with --force); keep both apart.
    taken = set(Condition.objects.values_list("name", flat=True))
    conditions = []
    for name, aliases in CONDITIONS:
        shown = name if name not in taken else f"{name} (synthetic)"
        conditions.append(
            Condition(
                name=shown,
                slug=f"{PREFIX}{slugify(name)}",
                aliases=aliases,
                description=f"Synthetic claims about ketamine for {name[0].lower() + name[1:]}, for benchmarks.",
            )
        )
    conditions = Condition.objects.bulk_create(conditions)
    # Treatment-resistant depression lies within major depressive disorder, as in the seed.
    Condition.objects.filter(pk=conditions[0].pk).update(parent=conditions[1])

    # Tags are shared with editors' tags of the same name (taggit matches names case-insensitively here).
    existing = {t.name.lower(): t for t in Tag.objects.annotate(lower=Lower("name")).filter(lower__in=TAGS)}
    new_tags = [Tag(name=name, slug=slugify(name)) for name in TAGS if name not in existing]
    taken_slugs = set(Tag.objects.filter(slug__in=[t.slug for t in new_tags]).values_list("slug", flat=True))
    for tag in new_tags:
        if tag.slug in taken_slugs:
            tag.slug = f"{PREFIX}{tag.slug}"
    Tag.objects.bulk_create(new_tags)
    by_name = {**existing, **{t.name: t for t in new_tags}}  # keyed by the lower-case names in TAGS
    tags = [by_name[name] for name in TAGS]

    progress.start("studies", len(the_plan.studies))
    studies = _bulk(Study, the_plan.studies, progress)
    progress.finish()
    progress.start("sources", len(the_plan.sources))
    sources = _bulk(Source, the_plan.sources, progress)
    progress.finish()

    plans = the_plan.claims
    progress.start("claims", len(plans))
    claim_pks: list[int] = []
    n_assertions = 0
    for start in range(0, len(plans), BATCH):
        chunk = plans[start : start + BATCH]
        objects = []
        for p in chunk:
            j = p.judgments
            objects.append(
                Claim(
                    text=p.text,
                    slug=p.slug,
                    category=p.category,
                    grade=p.grade,
                    starting_level=j.starting_level,
                    risk_of_bias=j.risk_of_bias,
                    inconsistency=j.inconsistency,
                    indirectness=j.indirectness,
                    imprecision=j.imprecision,
                    publication_bias=j.publication_bias,
                    large_effect=j.large_effect,
                    dose_response=j.dose_response,
                    plausible_confounding=j.plausible_confounding,
                    grade_override_reason=p.override_reason,
                    rationale=_rationale(p) if p.grade != "not_graded" else "",
                    status=p.status,
                    published_at=p.published_at,
                    reviewed_at=p.published_at,
                    suggested_grade=grading.suggested_level(j),
                    verdict=p.verdict,
                    applies_generally=p.general,
                )
            )
        created = Claim.objects.bulk_create(objects, batch_size=BATCH)
        pks = [c.pk for c in created]
        claim_pks.extend(pks)
        links, tagged, evidence, assertions, changes, estimates = [], [], [], [], [], []
        ConditionLink = Claim.conditions.through
        for pk, p in zip(pks, chunk, strict=True):
            links += [ConditionLink(claim_id=pk, condition_id=conditions[c].pk) for c in p.conditions]
            tagged += [TaggedClaim(content_object_id=pk, tag_id=tags[t].pk) for t in p.tags]
            evidence += [Evidence(claim_id=pk, study_id=studies[s].pk, direction=d) for s, d in p.evidence]
            for a in p.assertions:
                assertions.append(
                    Assertion(
                        claim_id=pk,
                        source_id=sources[a.source].pk,
                        quote=a.quote,
                        offset=a.offset,
                        stance=a.stance,
                        cited_study_id=studies[a.cited_study].pk if a.cited_study is not None else None,
                        citation_fidelity=a.fidelity,
                        fidelity_note=FIDELITY_NOTES.get(a.fidelity, ""),
                    )
                )
            for study, outcome, measure, value, low, high, n, timepoint in p.estimates:
                excerpt = f"{outcome} at {timepoint}: {value} (95% CI {low} to {high}; {n} participants)."
                estimates.append(
                    EffectEstimate(
                        claim_id=pk,
                        study_id=studies[study].pk,
                        condition_id=conditions[p.conditions[0]].pk,
                        outcome=outcome,
                        measure=measure,
                        value=value,
                        ci_low=low,
                        ci_high=high,
                        participants=n,
                        timepoint=timepoint,
                        comparator="placebo",
                        excerpt=excerpt,
                        excerpt_url=f"https://example.org/synthetic/{studies[study].slug}",
                    )  # fmt: skip
                )
            if p.history_from:
                changes.append(
                    ClaimChange(
                        claim_id=pk,
                        field="grade",
                        before=p.history_from,
                        after=p.grade,
                        reason="Re-graded.",
                        public=True,
                    )  # fmt: skip
                )
        for model, rows in (
            (ConditionLink, links),
            (TaggedClaim, tagged),
            (Evidence, evidence),
            (Assertion, assertions),
            (ClaimChange, changes),
            (EffectEstimate, estimates),
        ):
            _bulk(model, rows)
        n_assertions += len(assertions)
        progress.advance(len(chunk))
    progress.finish()

    # A symmetrical many-to-many stores both directions.
    Conflict = Claim.conflicting_claims.through
    rows = []
    for a, b in the_plan.conflicts:
        rows.append(Conflict(from_claim_id=claim_pks[a], to_claim_id=claim_pks[b]))
        rows.append(Conflict(from_claim_id=claim_pks[b], to_claim_id=claim_pks[a]))
    _bulk(Conflict, rows)
    return {
        "claims": len(plans),
        "assertions": n_assertions,
        "sources": len(sources),
        "studies": len(studies),
        "conditions": len(conditions),
    }


def _rationale(p: ClaimPlan) -> str:
    n = len(p.evidence)
    basis = f"{n} stud{'y' if n == 1 else 'ies'}" if n else "no clinical study"
    return f"Synthetic rationale: the evidence base holds **{basis}**; see the judgments above."


def snapshot() -> list[tuple]:
    """The synthetic content by natural keys (no primary keys), for comparing two runs. Runs five queries."""
    claims = Claim.objects.filter(slug__startswith=PREFIX)
    rows: list[tuple] = [
        ("claim", *c)
        for c in claims.order_by("slug").values_list("slug", "text", "category", "grade", "status", "starting_level")
    ]
    rows += [
        ("assertion", *a)
        for a in Assertion.objects.filter(claim__slug__startswith=PREFIX)
        .order_by("claim__slug", "source__slug")
        .values_list("claim__slug", "source__slug", "quote", "offset", "stance", "cited_study__slug")
    ]
    rows += [
        ("source", *s)
        for s in Source.objects.filter(slug__startswith=PREFIX).order_by("slug").values_list("slug", "text_sha256")
    ]
    rows += [
        ("link", *x)
        for x in Claim.conditions.through.objects.filter(claim__slug__startswith=PREFIX)
        .order_by("claim__slug", "condition__slug")
        .values_list("claim__slug", "condition__slug")
    ]
    rows += [
        ("tag", *x)
        for x in TaggedClaim.objects.filter(content_object__slug__startswith=PREFIX)
        .order_by("content_object__slug", "tag__name")
        .values_list("content_object__slug", "tag__name")
    ]
    return rows
