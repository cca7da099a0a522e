"""Developer pages of the kernel. They exist only while DEBUG is on."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from yiwang.core.models import SmsMessage

OUTBOX_PAGE_SIZE = 50


def dev_sms_outbox(request: HttpRequest) -> HttpResponse:
    """The outbox gateway's texts, newest first, so a developer can read the codes sent.
    404 unless DEBUG: the URL is wired only then, and the view checks again."""
    if not settings.DEBUG:
        raise Http404
    texts = SmsMessage.objects.only("phone_masked", "text", "created_at")[:OUTBOX_PAGE_SIZE]
    return render(request, "core/dev_sms.html", {"texts": texts})
