"""Search quality on a labelled set of colloquial queries (search_queries.json).

A query is a hit when one of its expected catalog items is among the top three. The demo's
real catalog items and the maintained synonym list are loaded through the services, exactly as
`make run` loads them.
"""

import json
from pathlib import Path

import pytest

from yiwang.catalog import search
from yiwang.catalog.demo import DemoStats, demo_order, ensure_catalog_item, load_synonyms, read
from yiwang.catalog.models import CatalogItem

LABELLED = json.loads((Path(__file__).parent / "search_queries.json").read_text(encoding="utf-8"))
TOP = 3


@pytest.fixture
def demo_catalog(db):
    stats = DemoStats()
    load_synonyms(stats)
    for entry in sorted(read("items.json")["items"], key=demo_order):
        ensure_catalog_item(entry, stats)
    search.reindex_all_terms()
    return {item.pk: item.basic_code for item in CatalogItem.objects.all()}


def top_codes(codes_by_id: dict[int, str], query: str) -> list[str]:
    return [codes_by_id[item_id] for item_id in search.rank_items(query)[:TOP]]


def test_labelled_set_is_large_enough():
    assert len(LABELLED["queries"]) >= 40


def test_top3_hit_rate_of_colloquial_queries_is_at_least_90_percent(demo_catalog):
    misses = []
    for case in LABELLED["queries"]:
        found = top_codes(demo_catalog, case["q"])
        if not set(found) & set(case["expect"]):
            misses.append((case["q"], found, case["expect"]))
    hit_rate = 1 - len(misses) / len(LABELLED["queries"])
    assert hit_rate >= 0.9, f"top-3 hit rate {hit_rate:.0%}; misses: {misses}"


@pytest.mark.parametrize(
    ("query", "expected_name"),
    [("yyzz", "营业执照"), ("开饭店", "食品经营许可"), ("shehuibaozhangka", "社会保障卡")],
)
def test_pinyin_initials_full_pinyin_and_colloquial_terms(demo_catalog, query, expected_name):
    names = list(
        CatalogItem.objects.filter(pk__in=search.rank_items(query)[:TOP]).values_list(
            "name", "keywords"
        )
    )
    assert any(
        expected_name in name or any(expected_name in k for k in keywords)
        for name, keywords in names
    )
