"""Named SQL blocks: each package keeps its SQL in one ``queries.sql`` file.

A block starts with a line ``-- name: <name>`` and runs until the next one::

    -- name: agent_by_job_number
    SELECT ... WHERE job_number = $1;
"""

from __future__ import annotations

import re
from importlib import resources

_NAME = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


def parse_queries(text: str) -> dict[str, str]:
    queries: dict[str, str] = {}
    matches = list(_NAME.finditer(text))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        name = match.group(1)
        if name in queries:
            raise ValueError(f"SQL block {name!r} is defined twice")
        body = text[match.end() : end].strip()
        if not body:
            raise ValueError(f"SQL block {name!r} is empty")
        queries[name] = body
    return queries


def load_queries(package: str, filename: str = "queries.sql") -> dict[str, str]:
    return parse_queries(resources.files(package).joinpath(filename).read_text(encoding="utf-8"))
