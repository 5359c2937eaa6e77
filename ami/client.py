"""``AmiClient``: one guarded connection to one Asterisk, whose life we run ourselves.

- connect + login under a deadline; a refused login raises ``AmiAuthError`` and is
  never retried in a silent loop;
- our own keepalive (``Ping`` with a deadline) finds a dead or frozen Asterisk;
- on loss: in-flight actions fail as "connection lost" (outcome unknown), nothing is
  replayed, and a supervisor reconnects with backoff and fires ``on_ready`` again so
  the domain can reconcile (``FullyBooted`` arrives as an event as well);
- every header and value is refused if it holds a control character;
- ``QueueAdd`` is sent with ``as_list=False``; ``Originate`` always ``Async: true`` with
  a ``ChannelId``;
- event handlers run inside a guard: an exception is logged with the event.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import enum
import functools
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from panoramisk import Manager

from ami.actions import Action
from ami.errors import (
    AmiActionFailed,
    AmiAuthError,
    AmiConnectionLost,
    AmiError,
    AmiNotConnected,
    AmiNotStreamed,
    AmiOutcomeUnknown,
)
from ami.events import Event, parse_event
from ami.protocol import GuardedProtocol
from core.errors import UnsafeValueError
from core.logging import get_logger
from core.safety import refuse_control_chars
from core.settings import Settings
from core.tasks import cancel_and_wait

# upper bounds (seconds) of the event-lag histogram /metrics shows (hotline_ami_event_lag)
EVENT_LAG_BOUNDS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

log = get_logger("ami")

HeaderValue = str | Sequence[str]
EventHandler = Callable[[Event], Awaitable[None] | None]
ReadyHook = Callable[[], Awaitable[None] | None]


class ConnectionState(enum.Enum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    READY = "ready"  # connected and logged in
    AUTH_FAILED = "auth_failed"
    CLOSED = "closed"


@dataclass(frozen=True)
class Reply:
    """Asterisk's answer to one action; ``events`` holds an event list's items."""

    response: str
    message: str
    headers: Mapping[str, str] = field(repr=False)
    events: tuple[Event, ...] = ()


def _headers_of(message: Any) -> dict[str, str]:
    return {k: (v[0] if isinstance(v, list) else v) for k, v in message.items()}


def _reply_from(raw: Any) -> Reply:
    messages = raw if isinstance(raw, list) else [raw]
    first = _headers_of(messages[0])
    events = tuple(parse_event(_headers_of(m)) for m in messages[1:] if "event" in m)
    return Reply(first.get("Response", ""), first.get("Message", ""), first, events)


class _Manager(Manager):  # type: ignore[misc]
    """panoramisk's Manager with its own reconnect and replay switched off."""

    def __init__(self, on_lost: Callable[[object], None], **config: Any) -> None:
        super().__init__(**config)
        self._on_lost = on_lost
        # §7.8: never re-send pending actions on FullyBooted behind our back
        self.callbacks["FullyBooted"].clear()

    def connection_lost(self, exc: object) -> None:
        self._connected = False
        self.awaiting_actions.clear()
        self._on_lost(exc)


@contextlib.asynccontextmanager
async def session(host: str, port: int, username: str, secret: str) -> AsyncIterator[AmiClient]:
    """A client logged in for one piece of work and closed after it (the publishing
    user's: its privileged session exists only while it works)."""
    ami = AmiClient(host, port, username, secret)
    await ami.start()
    try:
        yield ami
    finally:
        await ami.close()


def publish_session(settings: Settings) -> AbstractAsyncContextManager[AmiClient]:
    """A session of the publishing user (``hotline-publish``): dial plans, desk phones
    and the agents' lamp hints are written through it, never through the service's."""
    s = settings
    return session(s.ami_host, s.ami_port, s.ami_publish_username, s.ami_publish_secret)


class AmiClient:
    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        secret: str,
        *,
        action_timeout: float = 5.0,
        login_timeout: float = 5.0,
        keepalive_interval: float = 2.0,
        keepalive_timeout: float = 2.0,
        max_backoff: float = 10.0,
        on_ready: ReadyHook | None = None,
        streamed: Collection[str] | None = None,
    ) -> None:
        self.host, self.port, self.username = host, port, username
        # the names of the events Asterisk streams to this user, when its manager.conf
        # filters them (the service's: ami.events.STREAMED_NAMES); None or empty: every
        # event, as an AmiUser with no only_events is rendered without a filter
        self.streamed = frozenset(streamed) if streamed else None
        self._secret = secret
        self.action_timeout = action_timeout
        self.login_timeout = login_timeout
        self.keepalive_interval = keepalive_interval
        self.keepalive_timeout = keepalive_timeout
        self.max_backoff = max_backoff
        self.on_ready = on_ready
        self.state = ConnectionState.DISCONNECTED
        self.reconnects = 0
        self.events_received = 0
        # actions put on the wire, by name: what the service asks of Asterisk (/metrics)
        self.actions_sent: Counter[str] = Counter()
        self.last_event_at: float | None = None  # time.monotonic()
        self.last_event_lag_s: float | None = None  # our clock minus Asterisk's Timestamp
        # every event's lag, counted per EVENT_LAG_BOUNDS_S bucket (the last: above them all)
        self.event_lag_counts = [0] * (len(EVENT_LAG_BOUNDS_S) + 1)
        self.event_lag_sum_s = 0.0
        self._handlers: list[tuple[str, EventHandler]] = []
        self._by_name: dict[str, list[EventHandler]] = {}
        self._manager: _Manager | None = None
        self._lost = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._log = log.bind(ami=f"{host}:{port}", ami_user=username)

    # ---- life cycle ---------------------------------------------------------------

    async def start(self) -> None:
        """Connect and log in once (raising on failure), then keep the connection up."""
        await self._connect_once()
        self._tasks = [
            asyncio.create_task(self._supervise(), name="ami-supervisor"),
            asyncio.create_task(self._keepalive(), name="ami-keepalive"),
        ]

    async def close(self) -> None:
        self.state = ConnectionState.CLOSED
        await cancel_and_wait(*self._tasks)
        self._drop_connection()
        self._log.info("ami closed")

    def _closed(self) -> bool:
        return self.state is ConnectionState.CLOSED

    @property
    def is_ready(self) -> bool:
        return self.state is ConnectionState.READY

    async def _connect_once(self) -> None:
        self.state = ConnectionState.CONNECTING
        self._lost.clear()
        loop = asyncio.get_running_loop()
        manager = _Manager(
            self._connection_lost,
            host=self.host,
            port=self.port,
            loop=loop,
            ping_delay=3600,
            encoding="utf8",
        )
        try:
            async with asyncio.timeout(self.login_timeout):
                _transport, protocol = await loop.create_connection(
                    GuardedProtocol, self.host, self.port
                )
        except (OSError, TimeoutError) as exc:
            self.state = ConnectionState.DISCONNECTED
            raise AmiNotConnected(f"cannot reach AMI at {self.host}:{self.port}: {exc}") from exc
        protocol.factory = manager
        protocol.log = manager.log
        protocol.config = manager.config
        protocol.encoding = manager.encoding = "utf8"
        protocol.on_event = self._dispatch
        manager.protocol = protocol
        manager.responses = protocol.responses
        manager._connected = True
        self._manager = manager
        await self._login(manager)
        self.state = ConnectionState.READY
        self._log.info("ami logged in", version=protocol.version)
        if self.on_ready is not None:
            await self._run_guarded("on_ready", self.on_ready)

    async def _login(self, manager: _Manager) -> None:
        login = {
            "Action": "Login",
            "Username": self.username,
            "Secret": self._secret,
            "Events": "on",
        }
        try:
            async with asyncio.timeout(self.login_timeout):
                reply = await manager.send_action(login)
        except (TimeoutError, AmiConnectionLost) as exc:
            self._drop_connection()
            self.state = ConnectionState.DISCONNECTED
            raise AmiNotConnected(f"AMI login to {self.host}:{self.port} got no answer") from exc
        if not reply.success and "authentication" not in (reply.message or "").lower():
            # e.g. "Asterisk is shutting down" during a restart: not our secret's fault
            self._drop_connection()
            self.state = ConnectionState.DISCONNECTED
            raise AmiNotConnected(
                f"AMI login to {self.host}:{self.port} refused for now: {reply.message}"
            )
        if not reply.success:
            self._drop_connection()
            self.state = ConnectionState.AUTH_FAILED
            raise AmiAuthError(
                f"AMI refused user {self.username!r}: {reply.message or 'authentication failed'}"
                " (wrong secret, or the user's ACL does not permit this address)"
            )

    def _drop_connection(self) -> None:
        manager, self._manager = self._manager, None
        if manager is not None and manager.protocol is not None:
            transport = manager.protocol.transport
            manager.protocol.close()
            transport.abort()

    def _connection_lost(self, exc: object) -> None:
        if self._closed():
            return
        self.state = ConnectionState.DISCONNECTED
        self._log.warning("ami connection lost", reason=str(exc) if exc else "closed")
        self._lost.set()

    async def _supervise(self) -> None:
        while not self._closed():
            await self._lost.wait()
            backoff = 0.2
            while not self._closed():
                await asyncio.sleep(backoff)
                try:
                    await self._connect_once()
                except AmiAuthError as exc:
                    self._log.error("ami login refused; not retrying", error=exc.code)
                    return
                except AmiError as exc:
                    self._log.info("ami reconnect failed", error=exc.code, retry_in=backoff)
                    backoff = min(backoff * 2, self.max_backoff)
                    continue
                self.reconnects += 1
                self._log.info("ami reconnected", reconnects=self.reconnects)
                break

    async def _keepalive(self) -> None:
        while not self._closed():
            await asyncio.sleep(self.keepalive_interval)
            if not self.is_ready:
                continue
            try:
                await self.action("Ping", timeout=self.keepalive_timeout)
            except AmiError as exc:
                if self._events_flowing():
                    # an Asterisk at its limit answers late but is there: dropping the
                    # session would add a reconnect and a resync to its load
                    self._log.warning("ami keepalive slow; events still arriving", error=exc.code)
                elif self.is_ready:
                    self._log.warning(
                        "ami keepalive failed; dropping the connection", error=exc.code
                    )
                    self._drop_connection()
                    self._connection_lost("keepalive timeout")

    def _events_flowing(self) -> bool:
        """An event came within the keepalive's timeout: Asterisk is alive."""
        last = self.last_event_at
        return last is not None and time.monotonic() - last < self.keepalive_timeout

    # ---- actions --------------------------------------------------------------------

    async def send(self, action: Action, *, timeout: float | None = None) -> Reply:
        """Send a typed action; event-list actions return their items in ``events``."""
        raw = await self.action(
            action.NAME,
            action.headers(),
            as_list=action.reply_as_list(),
            timeout=timeout,
        )
        return _reply_from(raw)

    async def action(
        self,
        name: str,
        headers: Mapping[str, HeaderValue] | None = None,
        *,
        as_list: bool | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Send one action by name and return panoramisk's reply (a list for lists).

        Raises ``UnsafeValueError`` before anything is sent if a value holds a control
        character, ``AmiActionFailed`` on ``Response: Error``, and ``AmiOutcomeUnknown``
        or ``AmiConnectionLost`` when we cannot know what Asterisk did.
        """
        message: dict[str, HeaderValue] = {"Action": name, **(headers or {})}
        try:
            _refuse_unsafe(message)
        except UnsafeValueError as exc:
            self._log.warning("ami value refused", action=name, error=exc.message)
            raise
        lowered = name.lower()
        if lowered == "queueadd":
            as_list = False  # §7.1: the success reply is otherwise never resolved
        if lowered == "originate":
            message = {k: v for k, v in message.items() if k.lower() != "async"}
            message["Async"] = "true"  # §7.2
            if not any(k.lower() == "channelid" for k in message):
                message["ChannelId"] = str(uuid.uuid4())
        manager = self._manager
        if manager is None or not self.is_ready:
            raise AmiNotConnected(f"AMI not connected; {name} not sent")
        wire = {k: (list(v) if not isinstance(v, str) else v) for k, v in message.items()}
        future = manager.send_action(wire, as_list=as_list)
        self.actions_sent[name] += 1
        limit = timeout or self.action_timeout
        try:
            async with asyncio.timeout(limit):
                reply = await asyncio.shield(future)
        except TimeoutError as exc:
            self._forget(manager, future)
            self._log.warning("ami action outcome unknown", action=name, timeout_s=limit)
            raise AmiOutcomeUnknown(f"{name}: no reply within {limit} s; not re-sent") from exc
        first = reply[0] if isinstance(reply, list) else reply
        if first.response == "Error":
            raise AmiActionFailed(f"{name}: {first.message}")
        return reply

    async def command(self, cli: str, *, timeout: float | None = None) -> tuple[str, ...]:
        """Run one CLI command (the user needs write ``command``); its output lines.

        Asterisk answers with one ``Output:`` header per line; panoramisk keeps a
        repeated header as a list, and a single one as a string (asterisk.md §7)."""
        reply = await self.action("Command", {"Command": cli}, as_list=False, timeout=timeout)
        first = reply[0] if isinstance(reply, list) else reply
        output = first.get("Output") if hasattr(first, "get") else None
        if output is None:
            return ()
        lines = [output] if isinstance(output, str) else list(output)
        return tuple(part for line in lines for part in str(line).split("\n"))

    @staticmethod
    def _forget(manager: _Manager, future: asyncio.Future[Any]) -> None:
        """§7.6: a timed-out action stays in panoramisk's table forever unless we drop it."""
        responses = manager.protocol.responses if manager.protocol else {}
        for key, pending in list(responses.items()):
            if pending.future is future:
                responses.pop(key, None)
        future.cancel()

    # ---- events ---------------------------------------------------------------------

    def on_event(self, pattern: str, handler: EventHandler) -> None:
        """Call ``handler(event)`` for events whose name matches ``pattern`` (fnmatch).

        ``AmiNotStreamed`` when this user's event filter lets no such event through: a
        handler that could never run is a mistake to find at start, not in production."""
        if self.streamed is not None and not any(
            fnmatchcase(name, pattern) for name in self.streamed
        ):
            raise AmiNotStreamed(
                f"no {pattern!r} event reaches AMI user {self.username}: its event filter"
                " lets through only ami.events.STREAMED (add the event's class there)"
            )
        self._handlers.append((pattern, handler))
        self._by_name.clear()

    def _handlers_for(self, name: str) -> list[EventHandler]:
        handlers = self._by_name.get(name)
        if handlers is None:
            handlers = [h for p, h in self._handlers if fnmatchcase(name, p)]
            self._by_name[name] = handlers
        return handlers

    def _dispatch(self, event: Event) -> None:
        self.events_received += 1
        self.last_event_at = time.monotonic()
        if event.timestamp:
            lag = self.last_event_lag_s = time.time() - event.timestamp
            self.event_lag_counts[bisect.bisect_left(EVENT_LAG_BOUNDS_S, lag)] += 1
            self.event_lag_sum_s += lag
        for handler in self._handlers_for(event.name):
            try:
                result = handler(event)
            except Exception:
                self._log.exception(
                    "ami event handler failed", ami_event=event.name, headers=_redacted(event.raw)
                )
                continue
            if asyncio.iscoroutine(result):
                task = asyncio.ensure_future(result)
                task.add_done_callback(functools.partial(self._handler_done, event))

    def _handler_done(self, event: Event, task: asyncio.Future[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._log.error(
                "ami event handler failed", ami_event=event.name, error=repr(task.exception())
            )

    async def _run_guarded(self, what: str, hook: ReadyHook) -> None:
        try:
            result = hook()
            if asyncio.iscoroutine(result):
                await result
        except Exception:
            self._log.exception("ami hook failed", hook=what)


_SECRET_HEADERS = frozenset({"pin", "secret", "password"})


def _redacted(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers for a log line: a PIN typed on a desk phone never reaches the logs."""
    return {k: ("***" if k.lower() in _SECRET_HEADERS else v) for k, v in headers.items()}


def _refuse_unsafe(message: Mapping[str, HeaderValue]) -> None:
    """§8: Asterisk ends a line at CR LF *or* a bare LF; nothing of the kind may pass."""
    for key, value in message.items():
        refuse_control_chars("AMI header name", key)
        for item in [value] if isinstance(value, str) else value:
            if not isinstance(item, str):
                raise UnsafeValueError(f"AMI header {key} must be text, not {type(item).__name__}")
            refuse_control_chars(f"AMI header {key}", item)
