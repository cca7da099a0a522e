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

from django.db import connection, transaction
from django.db.models import Count, F, QuerySet

from yiwang.catalog import text
from yiwang.catalog.constants import AUDIENCE_BITS, VersionStatus
from yiwang.catalog.models import (
    CatalogItem,
    SearchEntry,
    SearchItemCount,
    SearchTerm,
    ServiceItem,
    Synonym,
)
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
    removed, _ = SearchEntry.objects.filter(service_item=item).delete()
    if published is not None:
        entry_for(item, published.parsed).save(force_insert=True)
    _count_entries(item.catalog_item_id, (published is not None) - removed)


def _count_entries(catalog_item_id: int, delta: int) -> None:
    if delta:
        SearchItemCount.objects.get_or_create(catalog_item_id=catalog_item_id)
        SearchItemCount.objects.filter(catalog_item_id=catalog_item_id).update(
            entries=F("entries") + delta
        )


def recount_entries() -> None:
    """Rebuild the per-item counts from the entries (after bulk loads)."""
    SearchItemCount.objects.all().delete()
    counts = SearchEntry.objects.order_by().values("catalog_item_id").annotate(n=Count("*"))
    SearchItemCount.objects.bulk_create(
        SearchItemCount(catalog_item_id=row["catalog_item_id"], entries=row["n"]) for row in counts
    )


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


@dataclass(frozen=True)
class Match:
    term: str
    item_id: int
    weight: float
    popularity: int
    catalog_size: int


def _matches(units: list[Unit]) -> list[Match]:
    """Index terms answering any unit, with each item's popularity and the catalog's size.

    One statement: it is the hot path of every search.
    """
    exact = [u.text for u in units if not u.prefix]
    prefixes = [u.text + "%" for u in units if u.prefix]  # units are [a-z]+, nothing to escape
    conditions = []
    if exact:
        conditions.append(f"t.term IN ({', '.join(['%s'] * len(exact))})")
    conditions += ["t.term LIKE %s"] * len(prefixes)
    if not conditions:
        return []
    terms, items = SearchTerm._meta.db_table, CatalogItem._meta.db_table
    sql = (
        f"SELECT t.term, t.catalog_item_id, t.weight, c.popularity, (SELECT count(*) FROM {items}) "
        f"FROM {terms} t JOIN {items} c ON c.id = t.catalog_item_id WHERE {' OR '.join(conditions)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*exact, *prefixes])
        return [Match(*row) for row in cursor.fetchall()]


def _unit_of(term: str, units: list[Unit]) -> list[tuple[Unit, float]]:
    """Which units a matched term answers, and how fully (a prefix covers part of a term)."""
    found = []
    for unit in units:
        if unit.prefix and term.startswith(unit.text):
            found.append((unit, len(unit.text) / len(term)))
        elif not unit.prefix and term == unit.text:
            found.append((unit, 1.0))
    return found


def score_items(units: list[Unit]) -> tuple[dict[int, float], dict[int, int]]:
    """Σ over units of the best weight an item has for it, scaled by the unit's rarity (IDF).

    Returns the scores and the popularity of every scored item (for ties).
    """
    best: dict[tuple[str, int], float] = defaultdict(float)
    items_per_unit: dict[str, set[int]] = defaultdict(set)
    popularity: dict[int, int] = {}
    catalog_size = 1
    for match in _matches(units):
        popularity[match.item_id] = match.popularity
        catalog_size = max(match.catalog_size, 1)
        for unit, completeness in _unit_of(match.term, units):
            key = (unit.text, match.item_id)
            best[key] = max(best[key], match.weight * completeness)
            items_per_unit[unit.text].add(match.item_id)
    scores: dict[int, float] = defaultdict(float)
    for (unit_text, item_id), weight in best.items():
        scores[item_id] += weight * math.log(1 + catalog_size / len(items_per_unit[unit_text]))
    return dict(scores), popularity


def rank_items(query: str) -> list[int]:
    """Catalog item ids best first, cut where the score falls far below the best."""
    units = query_units(query)
    scores, popularity = score_items(units) if units else ({}, {})
    if not scores and text.bigrams(query):
        scores, popularity = score_items(_bigram_units(query))
    if not scores:
        return []
    top = max(scores.values())
    ranked = sorted(scores, key=lambda i: (-round(scores[i], 6), -popularity[i], i))
    return [i for i in ranked if scores[i] >= top * RELATIVE_CUTOFF][:MAX_RESULT_ITEMS]


@dataclass(frozen=True)
class Filters:
    region_code: str = ""
    audience: str = ""
    sector: str = ""
    min_depth: int = 0
    facet: str = ""  # "theme:…", "event:…" or "sector:…"
    level: int = 0

    @property
    def narrows_entries(self) -> bool:
        """Whether entries are filtered (a facet only narrows the catalog items)."""
        return self != Filters(facet=self.facet)


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


MAX_BROWSE_ITEMS = 300


def _browse_items(facet: str) -> list[int]:
    """An empty query browses: the most used items first (within the facet, if any)."""
    items = CatalogItem.objects.order_by("-popularity", "basic_code")
    if facet:
        items = items.filter(pk__in=SearchTerm.objects.filter(term=facet).values("catalog_item_id"))
    return list(items.values_list("pk", flat=True)[:MAX_BROWSE_ITEMS])


def ranked_items(query: str, facet: str = "") -> list[int]:
    """Catalog items in result order. A query of only symbols or emoji finds nothing."""
    query = validate_query(query)
    if not query:
        return _browse_items(facet)
    ranked = rank_items(query) if text.runs(query) else []
    if facet and ranked:
        in_facet = set(
            SearchTerm.objects.filter(term=facet, catalog_item_id__in=ranked).values_list(
                "catalog_item_id", flat=True
            )
        )
        ranked = [item_id for item_id in ranked if item_id in in_facet]
    return ranked


SMALL_ITEM = 200


def _counts(entries: QuerySet[SearchEntry], ranked: list[int], *, province_wide: bool) -> dict:
    """Entries per ranked item: kept counts province-wide, a grouped index scan otherwise."""
    if province_wide:
        kept = SearchItemCount.objects.filter(catalog_item_id__in=ranked)
        return dict(kept.values_list("catalog_item_id", "entries"))
    return dict(
        entries.filter(catalog_item_id__in=ranked)
        .order_by()
        .values("catalog_item_id")
        .annotate(n=Count("*"))
        .values_list("catalog_item_id", "n")
    )


@dataclass(frozen=True)
class Slice:
    """The part of one catalog item's entries that falls on the requested page."""

    item_id: int
    skip: int
    take: int


def _page_slices(ranked: list[int], counts: dict[int, int], offset: int, size: int) -> list[Slice]:
    slices, start = [], 0
    for item_id in ranked:
        found = counts.get(item_id, 0)
        wanted = size - sum(s.take for s in slices)
        if found and start + found > offset and wanted > 0:
            skip = max(0, offset - start)
            slices.append(Slice(item_id, skip, min(found - skip, wanted)))
        start += found
    return slices


def _read_slices(entries: QuerySet[SearchEntry], slices: list[Slice], counts: dict[int, int]):
    """Entries of the slices: items with few entries in one query, large ones by index range."""
    order = ("-level", "implementation_code")
    small = [s.item_id for s in slices if counts[s.item_id] <= SMALL_ITEM]
    by_item: dict[int, list[SearchEntry]] = defaultdict(list)
    for entry in entries.filter(catalog_item_id__in=small).order_by(*order) if small else []:
        by_item[entry.catalog_item_id].append(entry)
    page = []
    for part in slices:
        if part.item_id in by_item:
            page += by_item[part.item_id][part.skip : part.skip + part.take]
        else:
            rows = entries.filter(catalog_item_id=part.item_id).order_by(*order)
            page += rows[part.skip : part.skip + part.take]
    return page


def search_entries(
    query: str, filters: Filters, *, offset: int, size: int
) -> tuple[int, list[SearchEntry]]:
    """(count, one page) of published implementations: best item first, nearest level first.

    Entries are counted per catalog item in one grouped index scan; the page is then read in
    result order, large items through the (item, level, code) index, so a province-wide query
    never sorts its tens of thousands of matches.
    """
    ranked = ranked_items(query, filters.facet)
    if not ranked:
        return 0, []
    entries = _filtered(SearchEntry.objects.all(), filters)
    counts = _counts(entries, ranked, province_wide=not filters.narrows_entries)
    page = _read_slices(entries, _page_slices(ranked, counts, offset, size), counts)
    return sum(counts.values()), page
