"""SIPp as test callers and desk phones, run from the sandbox root.

- ``Caller``: a citizen dialling an entry number through the trunk (UAC, from the
  trunk's address *and port*, so Asterisk identifies it as the trunk).
- ``DeskPhone``: an agent's phone. SIPp keeps one dialog per call, so a phone is two
  SIPp runs: a one-shot ``register.xml`` (digest auth) that registers the contact, and a
  UAS on that contact's port that answers INVITEs and qualify OPTIONS (``-aa``).
- ``Sipp.probe``: one INVITE without credentials from any port and From user, for
  toll-fraud tests; returns the SIP final response code.

Every run is bounded: SIPp's own ``-timeout`` and an asyncio deadline on top.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from asterisk_conf.sandbox.dtmf import NAMES, dtmf_pcap, duration_ms
from core.errors import SandboxError

SCENARIO_DIR = "/var/lib/hotline/sipp"  # inside the root
PCAP_DIR = "/usr/share/sip-tester"  # Debian's sip-tester ships RFC 2833 DTMF captures
DTMF_MARKER = "<!-- DTMF: the harness puts one RFC 2833 capture per digit here -->"
_FINAL = re.compile(r"final=(\d{3})")
_MESSAGE = re.compile(r"^\d{4}-\d\d-\d\d\t.*$", re.MULTILINE)
_COUNTER = re.compile(r"^\s*(Successful call|Failed call)\s*\|\s*\d+\s*\|\s*(\d+)", re.MULTILINE)


@dataclass(frozen=True)
class SippResult:
    returncode: int
    successful: int
    failed: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.failed == 0 and self.successful > 0


def udp_ports_bound(table: str, host: str) -> set[int]:
    """The UDP ports bound on ``host`` (or on every address) in a ``/proc/net/udp``
    table: ``local_address`` is the IPv4 address as little-endian hex, then the port."""
    wanted = {socket.inet_aton(host)[::-1].hex().upper(), "00000000"}
    ports = set()
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) > 1 and ":" in fields[1]:
            address, port = fields[1].split(":", 1)
            if address.upper() in wanted:
                ports.add(int(port, 16))
    return ports


async def udp_bound(
    host: str, port: int, *, gone: Callable[[], bool] = lambda: False, timeout_s: float = 5.0
) -> None:
    """Wait until something (a SIPp just started) has bound ``host:port`` for UDP, or
    ``gone`` says it never will; ``SandboxError`` after ``timeout_s``. It reads the
    kernel's socket table: probing by binding the port would hold it for an instant,
    and a SIPp binding in that instant exits with "Unable to bind main socket"."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not gone():
        table = await asyncio.to_thread(Path("/proc/net/udp").read_text)
        if port in udp_ports_bound(table, host):
            return
        if loop.time() > deadline:
            raise SandboxError(f"nothing listens on udp {host}:{port} after {timeout_s} s")
        await asyncio.sleep(0.02)


def sipp_messages(output: str, limit: int = 800) -> str:
    """SIPp's own messages (its error lines start with a date and a tab), which come
    before the final statistics screen in its output; the tail when there are none."""
    lines = _MESSAGE.findall(output)
    return "\n".join(lines)[-limit:] if lines else output[-limit:]


def install_scenarios(root: Path) -> None:
    target = root / SCENARIO_DIR.lstrip("/")
    target.mkdir(parents=True, exist_ok=True)
    for entry in resources.files("asterisk_conf").joinpath("sipp").iterdir():
        if entry.name.endswith(".xml"):
            (target / entry.name).write_text(entry.read_text(encoding="utf-8"), encoding="utf-8")


def with_dtmf(scenario: str, pcap: str, duration_ms: int) -> str:
    """The scenario with the DTMF capture ``pcap`` played right after answer."""
    if DTMF_MARKER not in scenario:
        raise ValueError("scenario has no DTMF marker")
    step = (
        f'<nop><action><exec play_pcap_audio="{pcap}"/></action></nop>\n'
        f'  <pause milliseconds="{duration_ms}"/>'
    )
    return scenario.replace(DTMF_MARKER, step)


def _parse(returncode: int, output: str) -> SippResult:
    counts = {name: int(value) for name, value in _COUNTER.findall(output)}
    return SippResult(
        returncode, counts.get("Successful call", 0), counts.get("Failed call", 0), output
    )


class Sipp:
    """Runs SIPp inside ``root`` against the Asterisk at ``sip_host:sip_port``."""

    def __init__(self, root: Path, sip_host: str = "127.0.0.1", sip_port: int = 5060) -> None:
        self.root = root
        self.target = f"{sip_host}:{sip_port}"
        self.local_ip = sip_host
        install_scenarios(root)

    def argv(
        self,
        scenario: str,
        port: int,
        media_port: int,
        *extra: str,
        timeout_s: float = 60,
        to_asterisk: bool = True,
    ) -> list[str]:
        chroot = shutil.which("chroot") or "chroot"
        argv = [chroot, str(self.root), "sipp"]
        if to_asterisk:
            argv.append(self.target)
        return [
            *argv,
            "-sf",
            f"{SCENARIO_DIR}/{scenario}",
            "-i",
            self.local_ip,
            "-p",
            str(port),
            "-mp",
            str(media_port),
            "-nostdin",
            "-timeout",
            f"{int(timeout_s)}s",
            "-timeout_error",
            *extra,
        ]

    async def run(self, argv: list[str], deadline_s: float) -> SippResult:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            async with asyncio.timeout(deadline_s):
                out, _ = await proc.communicate()
        except TimeoutError:
            proc.kill()
            out, _ = await proc.communicate()
            raise SandboxError(
                f"sipp ran past {deadline_s} s: {out.decode(errors='replace')[-800:]}"
            ) from None
        finally:  # cancelled (a test's timeout, a bench stopped): no SIPp left calling
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        return _parse(proc.returncode or 0, out.decode(errors="replace"))

    async def call(
        self,
        number: str,
        *,
        caller: str = "13800138000",
        caller_name: str = "",
        talk_ms: int = 3000,
        digits: str = "",
        until_far_end_hangs_up: bool = False,
        trunk_port: int = 5061,
        media_port: int = 6000,
        timeout_s: float = 60,
    ) -> SippResult:
        """One call to ``number``: after answer, send ``digits`` as DTMF, stay ``talk_ms``,
        then hang up (or, ``until_far_end_hangs_up``, wait for Asterisk's BYE)."""
        scenario = "caller-wait-bye.xml" if until_far_end_hangs_up else "caller.xml"
        if digits:
            scenario = self.with_digits(scenario, digits)
        argv = self.argv(
            scenario,
            trunk_port,
            media_port,
            "-s",
            number,
            "-m",
            "1",
            "-d",
            str(talk_ms),
            "-key",
            "caller",
            caller,
            "-key",
            "caller_name",
            caller_name,
            timeout_s=timeout_s,
        )
        return await self.run(argv, timeout_s + 10)

    async def calls(
        self,
        number: str,
        callers: list[str],
        *,
        every_ms: int = 1000,
        talk_ms: int = 3000,
        until_far_end_hangs_up: bool = False,
        concurrent: int = 50,
        trunk_port: int = 5061,
        media_port: int = 6000,
        timeout_s: float = 300,
    ) -> SippResult:
        """Several calls from one SIPp (all from the trunk's port), one every ``every_ms``,
        each from the next number of ``callers``."""
        base = "caller-wait-bye.xml" if until_far_end_hangs_up else "caller.xml"
        text = self.scenario_text(base).replace("[caller_name]", "[field1]")
        scenario = self.write_scenario("multi-" + base, text.replace("[caller]", "[field0]"))
        rows = "".join(f"{caller};;\n" for caller in callers)
        injection = f"callers-{len(callers)}-{abs(hash(tuple(callers)))}.csv"
        (self.root / SCENARIO_DIR.lstrip("/") / injection).write_text("SEQUENTIAL\n" + rows)
        argv = self.argv(
            scenario,
            trunk_port,
            media_port,
            "-s",
            number,
            "-m",
            str(len(callers)),
            "-l",
            str(concurrent),
            "-r",
            "1",
            "-rp",
            str(every_ms),
            "-d",
            str(talk_ms),
            "-inf",
            f"{SCENARIO_DIR}/{injection}",
            timeout_s=timeout_s,
        )
        return await self.run(argv, timeout_s + 10)

    async def probe(
        self,
        number: str,
        *,
        from_user: str,
        local_port: int,
        media_port: int = 6099,
        timeout_s: float = 10,
    ) -> int:
        """One INVITE to ``number`` from ``local_port`` with ``from_user`` in From, no
        credentials; the SIP final response code Asterisk gave (an answer is hung up)."""
        log_file = f"{SCENARIO_DIR}/probe-{local_port}.log"
        log_path = self.root / log_file.lstrip("/")
        log_path.unlink(missing_ok=True)
        argv = self.argv(
            "probe.xml",
            local_port,
            media_port,
            "-s",
            number,
            "-m",
            "1",
            "-key",
            "from_user",
            from_user,
            "-trace_logs",
            "-log_file",
            log_file,
            timeout_s=timeout_s,
        )
        result = await self.run(argv, timeout_s + 10)
        found = _FINAL.findall(log_path.read_text() if log_path.exists() else "")
        if not found:
            raise SandboxError(
                f"probe of {number} got no final response: {sipp_messages(result.output)}"
            )
        return int(found[-1])

    def with_digits(self, scenario: str, digits: str) -> str:
        """A copy of ``scenario`` that keys ``digits`` after answer; returns its name."""
        captures = {
            d: (self.root / PCAP_DIR.lstrip("/") / f"dtmf_2833_{name}.pcap").read_bytes()
            for d, name in NAMES.items()
            if d in digits
        }
        key = "_".join(NAMES.get(d, "x") for d in digits)
        pcap = f"{SCENARIO_DIR}/dtmf-{key}.pcap"
        (self.root / pcap.lstrip("/")).write_bytes(dtmf_pcap(digits, captures))
        text = with_dtmf(self.scenario_text(scenario), pcap, duration_ms(digits))
        return self.write_scenario(scenario.replace(".xml", f"-dtmf-{key}.xml"), text)

    def scenario_text(self, name: str) -> str:
        return (self.root / SCENARIO_DIR.lstrip("/") / name).read_text(encoding="utf-8")

    def write_scenario(self, name: str, text: str) -> str:
        (self.root / SCENARIO_DIR.lstrip("/") / name).write_text(text, encoding="utf-8")
        return name

    def phone(self, extension: str, password: str, port: int, media_port: int) -> DeskPhone:
        return DeskPhone(self, extension, password, port, media_port)


class DeskPhone:
    def __init__(
        self, sipp: Sipp, extension: str, password: str, port: int, media_port: int
    ) -> None:
        self.sipp = sipp
        self.extension = extension
        self._password = password
        self.port = port
        self.media_port = media_port
        self._uas: asyncio.subprocess.Process | None = None
        self._uas_output: asyncio.Task[bytes] | None = None

    async def _register(self, expires: int) -> SippResult:
        argv = self.sipp.argv(
            "register.xml",
            self.port + 100,
            self.media_port + 50,
            "-m",
            "1",
            "-key",
            "ext",
            self.extension,
            "-key",
            "contact_port",
            str(self.port),
            "-key",
            "expires",
            str(expires),
            "-au",
            self.extension,
            "-ap",
            self._password,
            timeout_s=15,
        )
        result = await self.sipp.run(argv, 25)
        if not result.ok:
            raise SandboxError(
                f"desk phone {self.extension} could not register "
                f"(expires={expires}): {sipp_messages(result.output)}"
            )
        return result

    async def start(
        self,
        *,
        ring_ms: int = 500,
        calls: int | None = None,
        hang_up_after_ms: int | None = None,
        busy: bool = False,
        hold_ms: tuple[int, int] | None = None,
        scenario: str | None = None,
        timeout_s: float = 300,
    ) -> None:
        """Answer calls on ``port`` (after ringing ``ring_ms``), then register there.
        With ``hang_up_after_ms`` the phone hangs up first, that long after answering;
        with ``hold_ms`` = (after, length) it puts the caller on hold ``after`` ms after
        answering, for ``length`` ms, and waits for the caller to hang up;
        a ``busy`` phone answers every call with 486 Busy Here; ``scenario`` names another
        UAS scenario (e.g. one that holds, then hangs up)."""
        extra = ["-aa", "-d", str(ring_ms)]
        if calls is not None:
            extra += ["-m", str(calls)]
        scenario = scenario or ("phone-busy.xml" if busy else "phone-answer.xml")
        if hang_up_after_ms is not None:
            text = self.sipp.scenario_text("phone-hangup.xml")
            scenario = self.sipp.write_scenario(
                f"phone-hangup-{int(hang_up_after_ms)}.xml",
                text.replace('milliseconds="TALK_MS"', f'milliseconds="{int(hang_up_after_ms)}"'),
            )
        if hold_ms is not None:
            after, length = (int(ms) for ms in hold_ms)
            text = self.sipp.scenario_text("phone-hold.xml")
            scenario = self.sipp.write_scenario(
                f"phone-hold-{after}-{length}.xml",
                text.replace('milliseconds="HOLD_AFTER_MS"', f'milliseconds="{after}"').replace(
                    'milliseconds="HOLD_MS"', f'milliseconds="{length}"'
                ),
            )
        argv = self.sipp.argv(
            scenario,
            self.port,
            self.media_port,
            *extra,
            timeout_s=timeout_s,
            to_asterisk=False,
        )
        self._uas = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self._uas_output = asyncio.create_task(self._read_all(self._uas))
        uas = self._uas
        await udp_bound(self.sipp.local_ip, self.port, gone=lambda: uas.returncode is not None)
        if self._uas.returncode is not None:
            raise SandboxError(
                f"desk phone {self.extension} UAS exited at once: "
                f"{sipp_messages((await self._uas_output).decode(errors='replace'))}"
            )
        await self._register(3600)

    @property
    def uas_pid(self) -> int | None:
        """The answering SIPp's process id (chroot execs it), for fault tests."""
        return self._uas.pid if self._uas is not None else None

    async def dial(self, number: str, digits: str = "", *, timeout_s: float = 40) -> SippResult:
        """Dial ``number`` from this phone (digest auth), then key ``digits`` as DTMF and
        stay until Asterisk hangs up — how an agent uses a feature code."""
        scenario = (
            self.sipp.with_digits("phone-dial.xml", digits)
            if digits
            else (
                self.sipp.write_scenario(
                    "phone-dial-none.xml",
                    self.sipp.scenario_text("phone-dial.xml").replace(DTMF_MARKER, ""),
                )
            )
        )
        argv = self.sipp.argv(
            scenario,
            self.port + 200,
            self.media_port + 60,
            "-s",
            number,
            "-m",
            "1",
            "-key",
            "caller",
            self.extension,
            "-key",
            "caller_name",
            "",
            "-au",
            self.extension,
            "-ap",
            self._password,
            timeout_s=timeout_s,
        )
        return await self.sipp.run(argv, timeout_s + 10)

    @staticmethod
    async def _read_all(proc: asyncio.subprocess.Process) -> bytes:
        assert proc.stdout is not None
        return await proc.stdout.read()

    async def wait(self, timeout_s: float) -> SippResult:
        """Wait for the UAS to finish its ``calls`` and return its counters."""
        assert self._uas is not None and self._uas_output is not None
        async with asyncio.timeout(timeout_s):
            await self._uas.wait()
        out = await self._uas_output
        return _parse(self._uas.returncode or 0, out.decode(errors="replace"))

    async def stop(self, unregister: bool = True) -> SippResult | None:
        """Unregister (best effort) and stop the UAS; returns its counters."""
        if unregister:
            with contextlib.suppress(SandboxError):
                await self._register(0)
        proc, self._uas = self._uas, None
        if proc is None or self._uas_output is None:
            return None
        if proc.returncode is None:
            proc.send_signal(signal.SIGUSR1)  # SIPp: quit after dumping its counters
            try:
                async with asyncio.timeout(5):
                    await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()
        out = await self._uas_output
        return _parse(proc.returncode or 0, out.decode(errors="replace"))
