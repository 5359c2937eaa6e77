"""JSON as the API sends it: UTF-8 text, Chinese as it is (no ``\\u`` escapes)."""

from __future__ import annotations

import json
from typing import Any


def json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
