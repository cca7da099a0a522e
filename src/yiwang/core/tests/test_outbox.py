import pytest
from django.db import transaction

from yiwang.core import events
from yiwang.core.models import Event


@pytest.fixture
def received():
    calls = []
    topic = "test.something_happened"

    def consume(event_id, payload):
        calls.append((event_id, payload))

    events.consumer(topic)(consume)
    yield calls
    events._CONSUMERS[topic].remove(consume)


@pytest.mark.django_db
def test_event_is_written_with_the_change_and_delivered_once(received):
    event = events.record_event("test.something_happened", case_id=7)
    assert events.deliver_pending() == 1
    assert received == [(event.pk, {"case_id": 7})]
    assert events.deliver_pending() == 0
    event.refresh_from_db()
    assert event.delivered_at is not None


@pytest.mark.django_db
def test_event_of_a_rolled_back_change_does_not_exist(received):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.record_event("test.something_happened", case_id=8)
        raise RuntimeError("the change failed")
    assert not Event.objects.exists()
    assert events.deliver_pending() == 0


@pytest.mark.django_db
def test_failing_consumer_is_retried_later_and_reported():
    def broken(event_id, payload):
        raise ValueError("downstream unavailable")

    events.consumer("test.fails")(broken)
    try:
        event = events.record_event("test.fails")
        assert events.deliver_pending() == 0
        event.refresh_from_db()
        assert event.delivered_at is None
        assert event.attempts == 1
        assert "downstream unavailable" in event.last_error
        assert event.available_at > event.created_at
        assert events.queue_state()["pending"] == 1
    finally:
        events._CONSUMERS["test.fails"].remove(broken)
