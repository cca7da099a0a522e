"""Rate limits: the attempt past the limit is refused with 429, per key, and can be disabled."""

import pytest
from django.core.cache import cache

from yiwang.core.ratelimit import RateLimited, cooldown, end_cooldown, hit

ID_NUMBER = "43010219900307093X"


def test_the_attempt_past_the_limit_is_refused_with_the_seconds_to_wait():
    for _ in range(3):
        hit("test.login", "10.0.0.1", "3/m")
    with pytest.raises(RateLimited) as refused:
        hit("test.login", "10.0.0.1", "3/m")
    assert refused.value.status == 429
    assert refused.value.detail == "操作过于频繁，请稍后再试"
    assert 1 <= refused.value.retry_after <= 60


def test_other_keys_and_other_groups_keep_their_own_count():
    hit("test.login", "10.0.0.1", "1/m")
    hit("test.login", "10.0.0.2", "1/m")
    hit("test.other", "10.0.0.1", "1/m")
    with pytest.raises(RateLimited):
        hit("test.login", "10.0.0.1", "1/m")


def test_refused_attempts_keep_counting():
    hit("test.login", "10.0.0.1", "1/m")
    for _ in range(3):
        with pytest.raises(RateLimited):
            hit("test.login", "10.0.0.1", "1/m")


def test_the_switch_lets_everything_through(settings):
    settings.RATELIMIT_ENABLE = False
    for _ in range(5):
        hit("test.login", "10.0.0.1", "1/m")
        cooldown("test.resend", "10.0.0.1", 60)


def test_the_cache_never_holds_the_raw_key():
    hit("test.lookup", ID_NUMBER, "5/m")
    cooldown("test.resend", ID_NUMBER, 60)
    stored = list(cache._cache)  # LocMemCache's own dictionary: every key as written
    assert len(stored) == 2
    assert not any(ID_NUMBER in key or ID_NUMBER.lower() in key for key in stored)


def test_cache_keys_are_keyed_by_a_secret_not_a_plain_hash_of_the_value(settings):
    """A plain hash of a phone number is reversed by hashing every possible number."""
    hit("test.lookup", ID_NUMBER, "5/m")
    first = set(cache._cache)
    cache.clear()
    settings.SECRET_KEY = "another-secret"
    hit("test.lookup", ID_NUMBER, "5/m")
    assert first and first.isdisjoint(cache._cache)


def test_a_cooldown_allows_one_attempt_until_it_ends():
    cooldown("test.resend", "phone-index", 60)
    with pytest.raises(RateLimited) as refused:
        cooldown("test.resend", "phone-index", 60, field="phone", message="请稍后再获取")
    assert refused.value.errors[0].field == "phone" and 59 <= refused.value.retry_after <= 60
    cooldown("test.resend", "another-index", 60)
    end_cooldown("test.resend", "phone-index")
    cooldown("test.resend", "phone-index", 60)


@pytest.mark.urls("yiwang.core.tests.ratelimit_urls")
def test_a_limited_page_answers_429_with_retry_after(client):
    assert client.get("/page/").status_code == 200
    assert client.get("/page/").status_code == 200
    refused = client.get("/page/")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.content.decode() == "操作过于频繁，请稍后再试"
    assert client.get("/page/", REMOTE_ADDR="10.9.9.9").status_code == 200


@pytest.mark.urls("yiwang.core.tests.ratelimit_urls")
def test_a_limited_api_endpoint_answers_with_a_problem_document(client):
    assert client.get("/api/limited", {"name": "x"}).json() == {"hello": "x"}
    client.get("/api/limited")
    refused = client.get("/api/limited")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["detail"] == "操作过于频繁，请稍后再试"
    assert 1 <= int(refused["Retry-After"]) <= 60


@pytest.mark.urls("yiwang.core.tests.ratelimit_urls")
def test_a_refusal_raised_by_a_service_is_429_in_the_api(client):
    assert client.post(f"/api/lookup?id_number={ID_NUMBER}").status_code == 200
    refused = client.post(f"/api/lookup?id_number={ID_NUMBER}")
    assert refused.status_code == 429
    assert refused.json()["errors"] == [
        {"field": "id_number", "message": "操作过于频繁，请稍后再试"}
    ]
    assert int(refused["Retry-After"]) >= 1
