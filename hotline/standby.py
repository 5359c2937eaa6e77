"""One service drives one Asterisk: the driver lock, standing by, taking over, stepping down.

Two ``hotline serve`` processes against the same Asterisk would both reconcile and fight
over pauses. The first to start takes a PostgreSQL session-level advisory lock on a
connection of its own and holds it for its whole life; the key is derived from the
Asterisk it drives (a fixed namespace + a hash of ``ami_host:ami_port``). Any other one
stands by: it says so in its log and in ``/healthz`` (``"role": "standby"``, status 503,
so a load balancer sends agents only to the active one), does not log in to AMI, and
runs no watch, reconcile, schedule or call recorder. It asks for the lock every second;
PostgreSQL releases the lock as soon as the active one's connection closes (its process
died, even by ``kill -9``), so the standby takes over within about a second.

The lock lives in the service's database: two services with different databases are not
fenced from each other (they would not share a roster either; that is a configuration
mistake, not a standby).

Losing the lock connection while active (PostgreSQL restarted, network cut): see
``DriverLock.hold``.
"""

from __future__ import annotations

import asyncio
import enum
import zlib
from collections.abc import Awaitable, Callable

import asyncpg

from core.errors import DatabaseError
from core.logging import get_logger
from core.settings import Settings
from db.lock import advisory_lock_holder, alive, lock_connection, try_advisory_lock

log = get_logger("hotline.standby")

NAMESPACE = 1_233_300_002  # "12333, the driver of an Asterisk" (the migrations use ...001)


class Role(enum.StrEnum):
    ACTIVE = "active"
    STANDBY = "standby"


class Outcome(enum.Enum):
    TAKEN = "taken"
    HELD_ELSEWHERE = "held_elsewhere"
    UNREACHABLE = "unreachable"
    # the server refused the connection: PostgreSQL is not running (stopped, restarting),
    # so its advisory locks exist nowhere and no other service can hold ours
    DOWN = "down"


def refused(exc: BaseException) -> bool:
    """Did PostgreSQL itself say no (nothing listening; shutting down or starting up)?"""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError | asyncpg.CannotConnectNowError):
            return True
        current = current.__cause__ or current.__context__
    return False


def driver_key(ami_host: str, ami_port: int) -> tuple[int, int]:
    """The advisory lock key of the Asterisk at ``ami_host:ami_port`` (two int4s)."""
    return NAMESPACE, zlib.crc32(f"{ami_host.lower()}:{ami_port}".encode()) & 0x7FFF_FFFF


class DriverLock:
    """The lock that makes one service the driver of one Asterisk."""

    def __init__(
        self,
        settings: Settings,
        *,
        poll_s: float = 1.0,
        retry_s: float = 0.2,
        blind_s: float = 10.0,
        grace_s: float = 3.0,
        connect: Callable[[], Awaitable[asyncpg.Connection]] | None = None,
    ) -> None:
        self.key = driver_key(settings.ami_host, settings.ami_port)
        self.poll_s, self.retry_s, self.blind_s, self.grace_s = poll_s, retry_s, blind_s, grace_s
        self._connect = connect or (
            lambda: lock_connection(settings, application_name="hotline driver lock")
        )
        self._conn: asyncpg.Connection | None = None
        self._log = log.bind(ami=f"{settings.ami_host}:{settings.ami_port}", lock_key=self.key)

    async def try_take(self) -> Outcome:
        """One attempt: connect if need be, then ``pg_try_advisory_lock``."""
        try:
            if self._conn is None or self._conn.is_closed():
                self._conn = await self._connect()
            taken = await try_advisory_lock(self._conn, self.key)
        except DatabaseError as exc:
            await self._drop()
            return Outcome.DOWN if refused(exc) else Outcome.UNREACHABLE
        return Outcome.TAKEN if taken else Outcome.HELD_ELSEWHERE

    async def holder(self) -> str:
        """Who drives now, for the standby's log line."""
        if self._conn is None:
            return "unknown"
        try:
            found = await advisory_lock_holder(self._conn, self.key)
        except DatabaseError:
            return "unknown"
        if found is None:
            return "nobody"
        return f"pid {found.pid} from {found.client_addr or 'local socket'}"

    async def wait(self) -> None:
        """Stand by until the lock is ours (polled every ``poll_s``).

        A standby that lost its own connection (PostgreSQL restarted) waits ``grace_s``
        once the database answers again before it asks: the active one, which retries
        every ``retry_s``, then takes its own lock back, and the roles do not flip on
        every PostgreSQL restart."""
        recovering = False
        while True:
            if recovering and await self._reachable():
                await asyncio.sleep(self.grace_s)
                recovering = False
            outcome = await self.try_take()
            if outcome is Outcome.TAKEN:
                return
            if outcome in (Outcome.UNREACHABLE, Outcome.DOWN) and not recovering:
                self._log.warning("standby: the database does not answer; retrying")
                recovering = True
            await asyncio.sleep(self.poll_s)

    async def hold(self) -> None:
        """While active: return only when the lock is gone for good.

        When the lock connection is lost, the service drives on and takes the lock back
        (every ``retry_s``). Driving on is right while PostgreSQL is away: the lock then
        exists nowhere, so no standby can hold it, and stopping would strand the agents
        (wrap-up deadlines, lost phones) for the length of a database restart. Two things
        end it, and then the caller steps down and stands by:
        - PostgreSQL answers and another service holds the lock: it won the race to
          re-acquire, and two drivers must not both go on;
        - no answer for ``blind_s``: PostgreSQL drops a silent lock connection after
          about that long (the keepalives in db/lock.py), so past it a standby that can
          still reach the database may have taken over; we must not drive blindly.
          A refused connection is an answer (``Outcome.DOWN``): PostgreSQL is not
          running, the lock exists nowhere, and we drive on for as long as that lasts
          (issue 9: agents keep moving while the database restarts)."""
        while True:
            await self._until_lost()
            self._log.warning("driver lock connection lost; driving on while taking it back")
            outcome = await self._regain()
            if outcome is Outcome.TAKEN:
                self._log.info("driver lock taken back")
                continue
            self._log.error(
                "driver lock lost for good; stepping down",
                why="held by another service"
                if outcome is Outcome.HELD_ELSEWHERE
                else f"no answer from the database for {self.blind_s:g} s",
            )
            return

    async def _until_lost(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            if self._conn is None or not await alive(self._conn, timeout=self.poll_s * 2):
                await self._drop()
                return

    async def _regain(self) -> Outcome:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.blind_s
        while loop.time() < deadline:
            outcome = await self.try_take()
            if outcome is Outcome.DOWN:
                deadline = loop.time() + self.blind_s  # not silent: the server said no
            elif outcome is not Outcome.UNREACHABLE:
                return outcome
            await asyncio.sleep(self.retry_s)
        return Outcome.UNREACHABLE

    async def _reachable(self) -> bool:
        try:
            if self._conn is None or self._conn.is_closed():
                self._conn = await self._connect()
        except DatabaseError:
            return False
        return True

    async def _drop(self) -> None:
        if self._conn is not None:
            self._conn.terminate()
            self._conn = None

    async def close(self) -> None:
        """Release the lock by closing its connection."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                async with asyncio.timeout(5):
                    await conn.close()
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                conn.terminate()
