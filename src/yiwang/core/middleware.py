"""Requests carrying NUL characters (in the path, the query or a JSON body) are refused before
any view: PostgreSQL cannot store them in text, so they would otherwise end as a 500 deep
inside a query."""

from django.http import HttpResponseBadRequest, JsonResponse

NUL = "\x00"


def _carries_nul(request) -> bool:
    if NUL in request.path:
        return True
    if any(NUL in key or any(NUL in v for v in values) for key, values in request.GET.lists()):
        return True
    if request.content_type == "application/json":  # a JSON string may spell it \u0000
        return b"\x00" in request.body or b"\\u0000" in request.body
    return False


class RejectNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _carries_nul(request):
            detail = "请求地址或参数含有不允许的空字符（NUL）"
            if request.path.startswith("/api/"):
                body = {"type": "about:blank", "title": "请求无效", "status": 400, "detail": detail}
                return JsonResponse(
                    body,
                    status=400,
                    content_type="application/problem+json",
                    json_dumps_params={"ensure_ascii": False},
                )
            return HttpResponseBadRequest(detail, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
