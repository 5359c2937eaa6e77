"""The standard's quality figures: what each one means, written once, and the pure
assembly of the SQL's counts into report rows and a CSV for spreadsheet programs.

``FIGURES`` is the definition table (the README's table is this one): each figure's
name in the API, its Chinese column header, and its definition. The SQL
(``reports/queries.sql``) counts; this module divides, fills in the days without data
and renders. No I/O.

Groups (``by``): ``day`` (the centre's local day, ``timezone``), ``agent`` (job number,
R8) or ``queue``. The centre has no team concept in its data (agents belong to queues,
``agent_queues``), so the queue stands for the team. A call belongs to the day it
entered, the agent who answered it and the queue it waited in; an agent-state event to
the day it happened, its agent, and the queue of its call (an offer, a wrap-up) or
else every queue the agent is a member of (a forced busy has no call).
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from core.errors import InvalidInput

ANSWER_TARGET_S = 15.0  # 15 秒接通率
TWO_RINGS_S = 10.0  # R3: two ring cycles at China's cadence (1 s on, 4 s off)
WRAP_UP_LIMIT_S = 30.0  # R4
# the wrap-up timer ends a wrap-up at 30 s; the audit sees it a few ms later: a wrap-up
# is "over 30 s" only past this slack
WRAP_UP_SLACK_S = 1.0
LONG_HOLD_S = 30.0  # R9
COMPLAINTS_CATEGORY = "建议投诉"  # R5's category for R13
# busy reasons the agent did not choose (R2b, R3; a supervisor; a reconcile)
FORCED_BUSY = ("ring_no_answer", "phone_unreachable", "supervisor", "reconciled")
MAX_DAYS = 366


class By(enum.Enum):
    DAY = "day"
    AGENT = "agent"
    QUEUE = "queue"


KEY_HEADER = {By.DAY: "日期", By.AGENT: "工号", By.QUEUE: "队列"}


class BadReportQuery(InvalidInput):
    code = "input.report_query"


@dataclass(frozen=True)
class Figure:
    name: str
    header: str  # the CSV's column (Chinese first)
    definition: str


FIGURES: tuple[Figure, ...] = (
    Figure("calls", "来电总数", "inbound calls that entered the centre (one row of calls)"),
    Figure(
        "asked_for_agent",
        "请求人工",
        "calls that joined an agent queue (asked for an agent): the denominator of both rates",
    ),
    Figure("answered", "人工接通", "of those, calls an agent answered"),
    Figure(
        "answered_within_15s",
        "15秒内接通",
        "of those, answered at most 15 s after joining the queue",
    ),
    Figure("rate_15s", "15秒接通率", "answered_within_15s / asked_for_agent"),
    Figure("rate_answered", "人工接通率", "answered / asked_for_agent"),
    Figure("abandoned_queue", "排队放弃", "callers who hung up while waiting in the queue"),
    Figure(
        "abandoned_greeting",
        "导航中挂机",
        "callers who hung up in the greeting or menus, before asking for an agent",
    ),
    Figure(
        "wait_avg_s",
        "平均等待(秒)",
        "mean wait of the callers who joined the queue: join to answer, or to the end",
    ),
    Figure("wait_max_s", "最长等待(秒)", "the longest such wait"),
    Figure(
        "offers",
        "振铃考核次数",
        "R3: queue calls offered to an agent that the agent answered, or that rang at "
        "least two ring cycles (10 s) — an offer the caller ended sooner is not the "
        "agent's to answer",
    ),
    Figure(
        "answered_within_two_rings",
        "两声内接起",
        "R3: of those, answered within two ring cycles (10 s) of the phone starting to ring",
    ),
    Figure("rate_two_rings", "两声内接起率", "answered_within_two_rings / offers"),
    Figure("wrap_ups", "话后处理次数", "R4: wrap-ups begun (the agent's audit)"),
    Figure("wrap_up_avg_s", "平均话后处理(秒)", "mean wrap-up length, start to the next state"),
    Figure(
        "wrap_ups_over_30s",
        "话后处理超30秒",
        "R4: wrap-ups longer than 30 s (past a 1 s slack for the timer that ends them)",
    ),
    Figure(
        "filed_over_30s",
        "归档超30秒",
        "R4: answered calls whose category and summary came more than 30 s after the call ended",
    ),
    Figure("unclassified", "未分类", "R5: answered calls with no category (yet)"),
    *(
        Figure(
            f"forced_busy_{reason}",
            f"强制置忙({label})",
            f"R2b/R3: times an agent was made busy with reason {reason}",
        )
        for reason, label in zip(
            FORCED_BUSY, ("未接听", "话机离线", "班长置忙", "状态校正"), strict=True
        )
    ),
    Figure("holds", "保持次数", "R9: holds in answered calls"),
    Figure("holds_over_30s", "保持超30秒", "R9: holds longer than 30 s"),
    Figure(
        "calls_holds_unknown",
        "保持未知的来电",
        "answered calls rebuilt from CEL, whose holds Asterisk did not log",
    ),
    Figure("agent_hung_up_first", "坐席先挂机", "R10: answered calls the agent hung up first"),
    Figure(
        "complaints_calls",
        "建议投诉来电",
        f"R13: calls classified {COMPLAINTS_CATEGORY}",
    ),
    Figure(
        "complaints_escalated",
        "建议投诉转部门",
        "R13: escalations to a department opened (callback/figures.py's department figure)",
    ),
    Figure(
        "complaints_forwarded",
        "已转交部门",
        "R13: of those, done with the outcome forwarded (passed on)",
    ),
    Figure("callbacks_opened", "回呼新建", "callbacks made (every kind)"),
    Figure("callbacks_done", "回呼完成", "callbacks that became done"),
    Figure(
        "callbacks_overdue",
        "回呼逾期",
        "callbacks due then, now past due, not closed before they were due",
    ),
)
FIGURE_NAMES = tuple(f.name for f in FIGURES)
RATES = {"rate_15s": ("answered_within_15s", "asked_for_agent"),
         "rate_answered": ("answered", "asked_for_agent"),
         "rate_two_rings": ("answered_within_two_rings", "offers")}  # fmt: skip


@dataclass(frozen=True)
class QualityRow:
    """One group's figures (``key``: a day, a job number, a queue; None: no agent or no
    queue, such as a call abandoned before one) and its calls per category (R5)."""

    key: str | None
    figures: Mapping[str, float | int | None]
    categories: Mapping[str, int]


def days_of(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def assemble(
    by: By,
    counts: Iterable[Mapping[str, Any]],
    categories: Iterable[Mapping[str, Any]],
    *,
    days: list[str] | None = None,
) -> list[QualityRow]:
    """The report's rows from the SQL's counts (each a mapping with ``key`` and some of
    the figures; several per key are added up) and ``categories`` (key, category, n).
    By day, every day in ``days`` has a row (zeros where nothing happened)."""
    sums: dict[str | None, dict[str, float | int | None]] = {}
    if by is By.DAY:
        for day in days or []:
            sums[day] = {}
    for part in counts:
        into = sums.setdefault(part["key"], {})
        for name, value in part.items():
            if name != "key" and value is not None:
                into[name] = _add(into.get(name), value)
    per_category: dict[str | None, dict[str, int]] = {}
    for row in categories:
        per_category.setdefault(row["key"], {})[row["category"]] = int(row["n"])
        into = sums.setdefault(row["key"], {})
        if row["category"] == COMPLAINTS_CATEGORY:
            into["complaints_calls"] = _add(into.get("complaints_calls"), int(row["n"]))
    return [
        QualityRow(key, _finish(sums[key]), per_category.get(key, {}))
        for key in sorted(sums, key=lambda k: (k is None, k or ""))
    ]


def _add(old: float | int | None, new: float | int) -> float | int:
    return new if old is None else old + new


def _finish(raw: Mapping[str, float | int | None]) -> dict[str, float | int | None]:
    done: dict[str, float | int | None] = {}
    for name in FIGURE_NAMES:
        if name in RATES:
            numerator, denominator = RATES[name]
            top, bottom = raw.get(numerator) or 0, raw.get(denominator) or 0
            done[name] = round(top / bottom, 4) if bottom else None
        elif name == "wait_avg_s":
            done[name] = _mean(raw.get("wait_total_s"), raw.get("asked_for_agent"))
        elif name == "wrap_up_avg_s":
            done[name] = _mean(raw.get("wrap_up_total_s"), raw.get("wrap_ups_ended"))
        elif name == "wait_max_s":
            value = raw.get(name)
            done[name] = None if value is None else round(float(value), 1)
        else:
            done[name] = int(raw.get(name) or 0)
    return done


def _mean(total: float | int | None, n: float | int | None) -> float | None:
    return round(float(total or 0) / n, 1) if n else None


def state_counts(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The audit's periods (key, state, reason, counts) as figure counts: wrap-ups from
    the wrap-up periods, R3's offers from the ringing ones, forced busy by reason."""
    out: list[dict[str, Any]] = []
    for r in rows:
        key, state = r["key"], r["state"]
        if state == "wrap_up":
            out.append(
                {
                    "key": key,
                    "wrap_ups": r["periods"],
                    "wrap_ups_ended": r["ended"],
                    "wrap_up_total_s": r["total_s"],
                    "wrap_ups_over_30s": r["over_wrap_up_limit"],
                }
            )
        elif state == "ringing":
            out.append(
                {
                    "key": key,
                    "offers": r["rings_counted"],
                    "answered_within_two_rings": r["rings_in_time"],
                }
            )
        elif state == "busy" and r["reason"] in FORCED_BUSY:
            out.append({"key": key, f"forced_busy_{r['reason']}": r["periods"]})
    return out


# ---- rendering ----------------------------------------------------------------------------


def to_json(rows: list[QualityRow]) -> list[dict[str, Any]]:
    return [{"key": r.key, **r.figures, "categories": dict(r.categories)} for r in rows]


BOM = "\ufeff"


def to_csv(by: By, rows: list[QualityRow], category_names: list[str]) -> bytes:
    """UTF-8 with a byte-order mark and Chinese headers, so that a spreadsheet program
    opens it right: one column per figure, then one per call category (R5)."""
    seen = [c for r in rows for c in r.categories if c not in category_names]
    categories = [*category_names, *dict.fromkeys(seen)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [KEY_HEADER[by], *(f.header for f in FIGURES), *(f"分类:{c}" for c in categories)]
    )
    for r in rows:
        writer.writerow(
            [
                "(无)" if r.key is None else r.key,
                *("" if r.figures[f.name] is None else r.figures[f.name] for f in FIGURES),
                *(r.categories.get(c, 0) for c in categories),
            ]
        )
    return (BOM + out.getvalue()).encode("utf-8")


def parse_by(raw: str | None) -> By:
    try:
        return By(raw or "day")
    except ValueError:
        raise BadReportQuery("by must be day, agent or queue") from None


def parse_days(raw_from: str | None, raw_to: str | None) -> tuple[date, date]:
    """``from`` and ``to``, both included, local days; at most ``MAX_DAYS``."""
    try:
        first = date.fromisoformat(raw_from or "")
        last = date.fromisoformat(raw_to or raw_from or "")
    except ValueError:
        raise BadReportQuery("from and to must be days, YYYY-MM-DD") from None
    if not 0 <= (last - first).days < MAX_DAYS:
        raise BadReportQuery(f"to must be from or after it, at most {MAX_DAYS} days")
    return first, last
