"""Search (搜索精准度): words, pinyin and colloquial terms lead to catalog items; the items'
published implementations, filtered by region and facets, are the results.

The index has two tables. SearchTerm maps a term to a catalog item with a weight: the exact
name, jieba words, full pinyin and initials ("yyzz"), keywords, themes, life events and every
colloquial synonym pointing at the item. SearchEntry holds one row per published
implementation with what a result shows. Because 三级八同 makes the searchable text of an
item identical wherever it is implemented, terms live at catalog level (thousands of rows)
and the million implementation rows are only filtered and ordered by index scans.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from yiwang.catalog import text
from yiwang.catalog.constants import AUDIENCE_BITS, VersionStatus
from yiwang.catalog.models import CatalogItem, SearchEntry, SearchTerm, ServiceItem, Synonym
from yiwang.core.errors import DomainError
from yiwang.regions.selectors import ancestor_codes

THEME, EVENT, SECTOR = "theme:", "event:", "sector:"
MAX_RESULT_ITEMS = 60
RELATIVE_CUTOFF = 0.25


# Indexing -------------------------------------------------------------------------------


def _add(terms: dict[str, float], term: str, weight: float) -> None:
    if term and len(term) <= 100:
        terms[term] = max(terms.get(term, 0.0), weight)


def terms_for(item: CatalogItem, colloquial: list[str]) -> dict[str, float]:
    """Every term that should find `item`, with how strongly it points at it."""
    terms: dict[str, float] = {}
    _add(terms, text.normalize(item.name).replace(" ", ""), 10)
    for word in text.words(item.name):
        _add(terms, word, 1 + min(len(word), 4))
        _add(terms, text.pinyin_full(word), 2)
    for bigram in text.bigrams(item.name):
        _add(terms, bigram, 1)
    _add(terms, text.pinyin_full(item.name), 8)
    _add(terms, text.pinyin_initials(item.name), 6)
    for keyword in item.keywords:
        _add(terms, text.normalize(keyword).replace(" ", ""), 7)
        _add(terms, text.pinyin_full(keyword), 5)
        _add(terms, text.pinyin_initials(keyword), 4)
        for word in text.words(keyword):
            _add(terms, word, 2)
    for term in colloquial:
        _add(terms, text.normalize(term).replace(" ", ""), 8)
        _add(terms, text.pinyin_initials(term), 3)
    for label in item.themes + item.life_events:
        for word in text.words(label) + [text.normalize(label).replace(" ", "")]:
            _add(terms, word, 1.5)
    for word in text.words(item.sector):
        _add(terms, word, 1)
    for theme in item.themes:
        terms[THEME + theme] = 0
    for event in item.life_events:
        terms[EVENT + event] = 0
    terms[SECTOR + item.sector] = 0
    return terms


def _colloquial_index() -> list[tuple[str, list[str]]]:
    return list(Synonym.objects.values_list("term", "targets"))


def _colloquial_for(item: CatalogItem, synonyms: list[tuple[str, list[str]]]) -> list[str]:
    haystack = [item.name, *item.keywords]
    return [term for term, targets in synonyms if any(t in h for t in targets for h in haystack)]


_taught = False


def ensure_tokenizer_taught() -> None:
    """Teach the segmenter this deployment's vocabulary the first time a process searches."""
    global _taught
    if not _taught:
        teach_tokenizer()
        _taught = True


def teach_tokenizer() -> None:
    """Load catalog names, keywords and colloquial terms into the segmenter."""
    names = CatalogItem.objects.values_list("name", "keywords")
    text.teach_words([name for name, _ in names] + [k for _, ks in names for k in ks])
    text.teach_words(Synonym.objects.values_list("term", flat=True))


@transaction.atomic
def index_catalog_items(items: list[CatalogItem]) -> int:
    """Rebuild the terms of the given catalog items. Returns the number of terms written."""
    teach_tokenizer()
    synonyms = _colloquial_index()
    SearchTerm.objects.filter(catalog_item__in=items).delete()
    rows = [
        SearchTerm(term=term, catalog_item=item, weight=weight)
        for item in items
        for term, weight in terms_for(item, _colloquial_for(item, synonyms)).items()
    ]
    SearchTerm.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def reindex_all_terms() -> int:
    return index_catalog_items(list(CatalogItem.objects.all()))


def entry_for(item: ServiceItem, guide) -> SearchEntry:
    return SearchEntry(
        service_item=item,
        catalog_item_id=item.catalog_item_id,
        implementation_code=item.implementation_code,
        name=item.catalog_item.name,
        agency_id=item.agency_id,
        agency_name=item.agency.name,
        region_code=item.region.code,
        level=item.region.level,
        audience_bits=sum(AUDIENCE_BITS[a] for a in guide.audience),
        online_depth=guide.online_depth,
        visits=guide.visits,
        sector=item.catalog_item.sector,
    )


def index_service_item(item: ServiceItem) -> None:
    """Put the item's published version into the index, or take the item out of it."""
    published = item.versions.filter(status=VersionStatus.PUBLISHED).first()
    SearchEntry.objects.filter(service_item=item).delete()
    if published is not None:
        entry_for(item, published.parsed).save(force_insert=True)


# Querying -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """One part of a query: a Chinese word or phrase (exact) or a Latin run (pinyin prefix)."""

    text: str
    prefix: bool = False


def query_units(query: str) -> list[Unit]:
    ensure_tokenizer_taught()
    units: dict[str, Unit] = {}
    for run in text.runs(query):
        if text.is_cjk(run):
            units.setdefault(run, Unit(run))
            for word in text.words(run):
                units.setdefault(word, Unit(word))
        elif run.isalpha() and len(run) >= 2:
            units.setdefault(run, Unit(run, prefix=True))
    return list(units.values())


def _bigram_units(query: str) -> list[Unit]:
    return [Unit(b) for b in text.bigrams(query)]


def _matches(units: list[Unit]) -> list[tuple[str, int, float]]:
    exact = [u.text for u in units if not u.prefix]
    condition = Q(term__in=exact) if exact else Q(pk__in=[])
    for unit in units:
        if unit.prefix:
            condition |= Q(term__startswith=unit.text)
    return list(
        SearchTerm.objects.filter(condition).values_list("term", "catalog_item_id", "weight")
    )


def _unit_of(term: str, units: list[Unit]) -> list[tuple[Unit, float]]:
    """Which units a matched term answers, and how fully (a prefix covers part of a term)."""
    found = []
    for unit in units:
        if unit.prefix and term.startswith(unit.text):
            found.append((unit, len(unit.text) / len(term)))
        elif not unit.prefix and term == unit.text:
            found.append((unit, 1.0))
    return found


def score_items(units: list[Unit]) -> dict[int, float]:
    """Σ over units of the best weight an item has for it, scaled by the unit's rarity (IDF)."""
    rows = _matches(units)
    best: dict[tuple[str, int], float] = defaultdict(float)
    items_per_unit: dict[str, set[int]] = defaultdict(set)
    for term, item_id, weight in rows:
        for unit, completeness in _unit_of(term, units):
            key = (unit.text, item_id)
            best[key] = max(best[key], weight * completeness)
            items_per_unit[unit.text].add(item_id)
    total_items = max(CatalogItem.objects.count(), 1)
    scores: dict[int, float] = defaultdict(float)
    for (unit_text, item_id), weight in best.items():
        rarity = math.log(1 + total_items / len(items_per_unit[unit_text]))
        scores[item_id] += weight * rarity
    return dict(scores)


def rank_items(query: str) -> list[int]:
    """Catalog item ids best first, cut where the score falls far below the best."""
    units = query_units(query)
    scores = score_items(units) if units else {}
    if not scores and text.bigrams(query):
        scores = score_items(_bigram_units(query))
    if not scores:
        return []
    top = max(scores.values())
    popularity = dict(
        CatalogItem.objects.filter(pk__in=list(scores)).values_list("pk", "popularity")
    )
    ranked = sorted(scores, key=lambda i: (-(round(scores[i], 6)), -popularity.get(i, 0), i))
    return [i for i in ranked if scores[i] >= top * RELATIVE_CUTOFF][:MAX_RESULT_ITEMS]


@dataclass(frozen=True)
class Filters:
    region_code: str = ""
    audience: str = ""
    sector: str = ""
    min_depth: int = 0
    facet: str = ""  # "theme:…", "event:…" or "sector:…"
    level: int = 0


def _filtered(entries: QuerySet[SearchEntry], filters: Filters) -> QuerySet[SearchEntry]:
    if filters.region_code:
        entries = entries.filter(region_code__in=ancestor_codes(filters.region_code))
    if filters.audience:
        bit = AUDIENCE_BITS[filters.audience]
        entries = entries.filter(audience_bits__in=[b for b in (1, 2, 3) if b & bit])
    if filters.sector:
        entries = entries.filter(sector=filters.sector)
    if filters.min_depth:
        entries = entries.filter(online_depth__gte=filters.min_depth)
    if filters.level:
        entries = entries.filter(level=filters.level)
    return entries


def validate_query(query: str) -> str:
    if len(query or "") > text.MAX_QUERY_LENGTH:
        raise DomainError.of("q", f"搜索词过长，最多{text.MAX_QUERY_LENGTH}个字")
    return (query or "").strip()


def search_entries(query: str, filters: Filters) -> QuerySet[SearchEntry]:
    """Published implementations matching the query, best first, nearest level first."""
    query = validate_query(query)
    entries = _filtered(SearchEntry.objects.all(), filters)
    if filters.facet:
        facet_items = SearchTerm.objects.filter(term=filters.facet).values("catalog_item_id")
        entries = entries.filter(catalog_item_id__in=facet_items)
    if not text.runs(query):
        # An empty query browses; a query of only symbols or emoji finds nothing.
        return (
            entries.none() if query else entries.order_by("-level", "name", "implementation_code")
        )
    ranked = rank_items(query)
    if not ranked:
        return entries.none()
    rank = Case(
        *[When(catalog_item_id=item_id, then=Value(i)) for i, item_id in enumerate(ranked)],
        output_field=IntegerField(),
    )
    return (
        entries.filter(catalog_item_id__in=ranked)
        .annotate(rank=rank)
        .order_by("rank", "-level", "implementation_code")
    )
