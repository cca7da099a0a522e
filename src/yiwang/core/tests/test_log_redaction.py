"""No citizen ID number or mobile number reaches a log in clear."""

import io
import logging

import pytest

from yiwang.core.logging import RedactPersonalData, redact

ID_NUMBER = "43010219900307093X"
PHONE = "13800138000"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"身份证{ID_NUMBER}登录", "身份证4301**********093X登录"),
        ("id=43010219900307093x;", "id=4301**********093x;"),
        ("id=430102199003070935", "id=4301**********0935"),
        (f"手机 {PHONE}。", "手机 138****8000。"),
        ("+86 138-0013-8000", "+86 138****8000"),
        (f"{ID_NUMBER} {PHONE}", "4301**********093X 138****8000"),
        ("订单号 2026010513800138000", "订单号 2026010513800138000"),  # 19 digits: neither
        ("金额 12800138000 分", "金额 12800138000 分"),  # 12x is no mobile prefix
    ],
)
def test_id_numbers_and_mobiles_are_masked_like_on_the_pages(text, expected):
    assert redact(text) == expected


@pytest.fixture
def captured():
    """A logger whose only handler writes to a buffer through the redaction filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactPersonalData())
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("yiwang.tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True


def test_arguments_are_masked_after_rendering(captured):
    logger, stream = captured
    logger.warning("账号 %s 绑定手机 %s", ID_NUMBER, PHONE)
    logger.info("%(who)s logged in", {"who": ID_NUMBER})
    output = stream.getvalue()
    assert "WARNING 账号 4301**********093X 绑定手机 138****8000" in output
    assert "INFO 4301**********093X logged in" in output
    assert ID_NUMBER not in output and PHONE not in output


def test_tracebacks_are_masked(captured):
    logger, stream = captured
    try:
        int(ID_NUMBER)
    except ValueError:
        logger.exception("could not parse")
    output = stream.getvalue()
    assert "ValueError: invalid literal for int() with base 10: '4301**********093X'" in output
    assert ID_NUMBER not in output


def test_a_broken_format_is_masked_too(captured):
    logger, stream = captured
    logger.error("only one slot %s", ID_NUMBER, PHONE)
    output = stream.getvalue()
    assert "4301**********093X" in output and ID_NUMBER not in output and PHONE not in output


def _console_handler() -> logging.Handler:
    (console,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    return console


@pytest.mark.parametrize("logger_name", ["yiwang.anything", "django.request", "django.server"])
def test_the_configured_console_handler_redacts_every_logger(settings, logger_name):
    """settings.LOGGING puts the filter on the handler every record reaches, Django's too."""
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["redact_personal_data"]
    console = _console_handler()
    assert any(isinstance(f, RedactPersonalData) for f in console.filters)
    stream = io.StringIO()
    previous = console.setStream(stream)
    try:
        logging.getLogger(logger_name).warning("GET /lookup?id=%s&phone=%s", ID_NUMBER, PHONE)
    finally:
        console.setStream(previous)
    assert "GET /lookup?id=4301**********093X&phone=138****8000" in stream.getvalue()
    assert ID_NUMBER not in stream.getvalue() and PHONE not in stream.getvalue()
