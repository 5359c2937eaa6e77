"""``AmiClient``: one guarded connection to one Asterisk, whose life we run ourselves.

- connect + login under a deadline; a refused login raises ``AmiAuthError`` and is
  never retried in a silent loop;
- our own keepalive (``Ping`` with a deadline) finds a dead or frozen Asterisk;
- on loss: in-flight actions fail as "connection lost" (outcome unknown), nothing is
  replayed, and a supervisor reconnects with backoff and fires ``on_ready`` again so
  the domain can reconcile;
- every header and value is refused if it holds a control character;
- ``QueueAdd`` is sent with ``as_list=False``; ``Originate`` always ``Async: true`` with
  a ``ChannelId``;
- event handlers run inside a guard: an exception is logged with the event.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from panoramisk import Manager

from ami.errors import (
    AmiActionFailed,
    AmiAuthError,
    AmiConnectionLost,
    AmiError,
    AmiNotConnected,
    AmiOutcomeUnknown,
)
from ami.protocol import GuardedProtocol
from core.errors import UnsafeValueError
from core.logging import get_logger
from core.safety import refuse_control_chars

log = get_logger("ami")

HeaderValue = str | Sequence[str]
EventHandler = Callable[["AmiEvent"], Awaitable[None] | None]
ReadyHook = Callable[[], Awaitable[None] | None]


class ConnectionState(enum.Enum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    READY = "ready"  # connected and logged in
    AUTH_FAILED = "auth_failed"
    CLOSED = "closed"


@dataclass(frozen=True)
class AmiEvent:
    """An AMI event as the domain sees it: its name and its headers (first value wins)."""

    name: str
    headers: Mapping[str, str] = field(repr=False)

    def get(self, key: str, default: str = "") -> str:
        return self.headers.get(key.lower(), default)


def _event_from_message(message: Any) -> AmiEvent:
    headers: dict[str, str] = {}
    for key, value in message.items():
        lowered = key.lower()
        if lowered not in headers:
            headers[lowered] = value[0] if isinstance(value, list) else value
    return AmiEvent(name=headers.get("event", ""), headers=headers)


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
    ) -> None:
        self.host, self.port, self.username = host, port, username
        self._secret = secret
        self.action_timeout = action_timeout
        self.login_timeout = login_timeout
        self.keepalive_interval = keepalive_interval
        self.keepalive_timeout = keepalive_timeout
        self.max_backoff = max_backoff
        self.on_ready = on_ready
        self.state = ConnectionState.DISCONNECTED
        self.reconnects = 0
        self._handlers: list[tuple[str, EventHandler]] = []
        self._manager: _Manager | None = None
        self._lost = asyncio.Event()
        self._ready = asyncio.Event()
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
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._drop_connection()
        self._log.info("ami closed")

    async def wait_ready(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError as exc:
            raise AmiNotConnected(
                f"AMI {self.host}:{self.port} not ready within {timeout} s"
            ) from exc

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
        manager.register_event("*", self._dispatch)
        try:
            _transport, protocol = await asyncio.wait_for(
                loop.create_connection(GuardedProtocol, self.host, self.port),
                self.login_timeout,
            )
        except (OSError, TimeoutError) as exc:
            self.state = ConnectionState.DISCONNECTED
            raise AmiNotConnected(f"cannot reach AMI at {self.host}:{self.port}: {exc}") from exc
        protocol.factory = manager
        protocol.log = manager.log
        protocol.config = manager.config
        protocol.encoding = manager.encoding = "utf8"
        manager.protocol = protocol
        manager.responses = protocol.responses
        manager._connected = True
        self._manager = manager
        try:
            reply = await asyncio.wait_for(
                manager.send_action(
                    {
                        "Action": "Login",
                        "Username": self.username,
                        "Secret": self._secret,
                        "Events": "on",
                    }
                ),
                self.login_timeout,
            )
        except (TimeoutError, AmiConnectionLost) as exc:
            self._drop_connection()
            self.state = ConnectionState.DISCONNECTED
            raise AmiNotConnected(f"AMI login to {self.host}:{self.port} got no answer") from exc
        if not reply.success:
            self._drop_connection()
            self.state = ConnectionState.AUTH_FAILED
            raise AmiAuthError(
                f"AMI refused user {self.username!r}: {reply.message or 'authentication failed'}"
                " (wrong secret, or the user's ACL does not permit this address)"
            )
        self.state = ConnectionState.READY
        self._ready.set()
        self._log.info("ami logged in", version=protocol.version)
        if self.on_ready is not None:
            await self._run_guarded("on_ready", self.on_ready)

    def _drop_connection(self) -> None:
        manager, self._manager = self._manager, None
        if manager is not None and manager.protocol is not None:
            transport = manager.protocol.transport
            manager.protocol.close()
            transport.abort()

    def _connection_lost(self, exc: object) -> None:
        if self.state is ConnectionState.CLOSED:
            return
        self._ready.clear()
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
                if self.is_ready:
                    self._log.warning(
                        "ami keepalive failed; dropping the connection", error=exc.code
                    )
                    manager = self._manager
                    self._drop_connection()
                    if manager is not None:
                        self._connection_lost("keepalive timeout")

    # ---- actions --------------------------------------------------------------------

    async def action(
        self,
        name: str,
        headers: Mapping[str, HeaderValue] | None = None,
        *,
        as_list: bool | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Send one action and return its reply (a list for event-list actions).

        Raises ``UnsafeValueError`` before anything is sent if a value holds a control
        character, ``AmiActionFailed`` on ``Response: Error``, and ``AmiOutcomeUnknown``
        or ``AmiConnectionLost`` when we cannot know what Asterisk did.
        """
        message: dict[str, HeaderValue] = {"Action": name, **(headers or {})}
        for key, value in message.items():
            refuse_control_chars("AMI header name", key)
            for item in [value] if isinstance(value, str) else value:
                if not isinstance(item, str):
                    raise UnsafeValueError(
                        f"AMI header {key} must be text, not {type(item).__name__}"
                    )
                refuse_control_chars(f"AMI header {key}", item)
        lowered = name.lower()
        if lowered == "queueadd":
            as_list = False  # §7.1: the success reply is otherwise never resolved
        if lowered == "originate":
            message = {k: v for k, v in message.items() if k.lower() != "async"}
            message["Async"] = "true"  # §7.2
            message.setdefault("ChannelId", str(uuid.uuid4()))
        manager = self._manager
        if manager is None or (not self.is_ready and lowered != "login"):
            raise AmiNotConnected(f"AMI not connected; {name} not sent")
        future = manager.send_action(message, as_list=as_list)
        try:
            reply = await asyncio.wait_for(asyncio.shield(future), timeout or self.action_timeout)
        except TimeoutError as exc:
            self._forget(manager, future)
            raise AmiOutcomeUnknown(
                f"{name}: no reply within {timeout or self.action_timeout} s; not re-sent"
            ) from exc
        first = reply[0] if isinstance(reply, list) else reply
        if first.response == "Error":
            raise AmiActionFailed(f"{name}: {first.message}")
        return reply

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
        """Call ``handler(event)`` for events whose name matches ``pattern`` (fnmatch)."""
        self._handlers.append((pattern, handler))

    def _dispatch(self, _manager: Any, message: Any) -> None:
        event = _event_from_message(message)
        for pattern, handler in self._handlers:
            if fnmatchcase(event.name, pattern):
                try:
                    result = handler(event)
                except Exception:
                    self._log.exception(
                        "ami event handler failed",
                        ami_event=event.name,
                        headers=dict(event.headers),
                    )
                    continue
                if asyncio.iscoroutine(result):
                    task = asyncio.ensure_future(result)
                    task.add_done_callback(functools.partial(self._handler_done, event))

    def _handler_done(self, event: AmiEvent, task: asyncio.Future[Any]) -> None:
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
