"""System checks: a misconfigured outside party stops `migrate` and `check --deploy`, before
the first user meets it."""

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from yiwang.core import sms


@register("yiwang")
def sms_gateway_configured(app_configs=None, **kwargs) -> list[Error]:
    try:
        sms.gateways.configured(settings.SMS_GATEWAY)
    except ImproperlyConfigured as error:
        return [Error(str(error), hint="See YIWANG_SMS_GATEWAY*.", id="yiwang.E001")]
    return []
