import json
from pathlib import Path

from yiwang.api import api

COMMITTED = Path(__file__).resolve().parents[4] / "docs" / "openapi.json"


def test_committed_openapi_document_matches_the_code():
    """docs/openapi.json is what clients read; `make openapi` regenerates it."""
    generated = json.loads(json.dumps(api.get_openapi_schema(), ensure_ascii=False, sort_keys=True))
    assert json.loads(COMMITTED.read_text(encoding="utf-8")) == generated, "run `make openapi`"
