"""Several real `cassbot run` webhook processes, and a sender that delivers updates the way Telegram does.

Used by the multi-replica end-to-end test (tests/test_replicas.py) and by `tests/replicas.py` run as a script
to measure throughput of 1 vs N replicas.  Each replica is its own process (its own interpreter, model and
index in memory), listening on a free loopback port; the sender plays Telegram and the proxy together:
updates go round-robin over the replicas, and a delivery that gets no 2xx (refused connection, a replica
killed mid-request, a timeout, a 5xx) is retried on the next replica until one acknowledges it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
SECRET = "e2e-webhook-secret"
START_TIMEOUT = 240.0


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Replica:
    port: int
    process: subprocess.Popen
    log: Path
    last_usage: tuple[float, int] = (0.0, 0)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def usage(self) -> tuple[float, int]:
        """(CPU seconds used so far, resident MB) of the replica process, from /proc."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 2**20
        return cpu, rss

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, no goodbye: in-flight requests are cut, as when a machine dies."""
        with contextlib.suppress(OSError):
            self.last_usage = self.usage()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def replica_env(api_url: str, token: str, data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WEBHOOK_", "REDIS_", "DATABASE_"))}
    env.update({
        "BOT_TOKEN": token, "TELEGRAM_API_URL": api_url, "BOT_MODE": "webhook",
        "WEBHOOK_URL": "https://bot.example.kz", "WEBHOOK_SECRET": SECRET, "LISTEN_HOST": "127.0.0.1",
        "DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING", "TOKENIZERS_PARALLELISM": "false",
        # one model thread per replica (as deploy/docker-compose.scale.yml): N processes share the cores instead
        # of fighting over them
        "ENCODER_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    })
    env.update(settings)
    return env


async def start_replicas(n: int, env: dict[str, str], logs: Path) -> list[Replica]:
    """N processes started together (so they open the index at the same moment); returns when all are healthy."""
    logs.mkdir(parents=True, exist_ok=True)
    replicas = []
    for i in range(n):
        port = free_port()
        log = logs / f"replica-{i}.log"
        proc = subprocess.Popen([str(Path(sys.executable).with_name("cassbot")), "run"],
                                env={**env, "LISTEN_PORT": str(port)}, cwd=str(logs),
                                stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        replicas.append(Replica(port, proc, log))
    deadline = time.monotonic() + START_TIMEOUT
    async with aiohttp.ClientSession() as http:
        for r in replicas:
            while True:
                if not r.alive():
                    raise RuntimeError(f"replica on {r.port} exited:\n{r.log.read_text(errors='replace')[-3000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"replica on {r.port} not healthy in {START_TIMEOUT:.0f} s")
                with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                    async with http.get(f"{r.url}/healthz", timeout=aiohttp.ClientTimeout(total=2)) as resp:
                        if resp.status == 200:
                            break
                await asyncio.sleep(0.2)
    return replicas


@dataclass
class Delivery:
    update_id: int
    attempts: int = 0
    cut: bool = False  # an attempt got no 2xx: the update was (or may have been) seen twice
    replica: int | None = None


@dataclass
class Sender:
    """Telegram's side of webhooks: POST each update, retry on anything but 2xx, next replica each time."""

    replicas: list[Replica]
    timeout: float = 60.0
    retry_delay: float = 0.05
    deliveries: dict[int, Delivery] = field(default_factory=dict)
    acked: int = 0
    _next: int = 0
    _http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Sender:
        self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=False))
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._http is not None
        await self._http.close()

    async def deliver(self, update: dict[str, Any]) -> Delivery:
        assert self._http is not None
        d = self.deliveries.setdefault(update["update_id"], Delivery(update["update_id"]))
        while True:
            index = self._next % len(self.replicas)
            self._next += 1
            replica = self.replicas[index]
            d.attempts += 1
            try:
                async with self._http.post(f"{replica.url}/webhook", json=update,
                                           headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                                           timeout=aiohttp.ClientTimeout(total=self.timeout)) as resp:
                    await resp.read()
                    if 200 <= resp.status < 300:
                        d.replica = index
                        self.acked += 1
                        return d
            except (TimeoutError, aiohttp.ClientError):
                pass
            d.cut = True
            await asyncio.sleep(self.retry_delay)


# -- the workload -----------------------------------------------------------------------------------------------
LANG = {"kk": "l:kk", "ru": "l:ru"}  # LangCB(lang=...).pack()


@dataclass
class Step:
    kind: str  # question | lang | vote
    text: str = ""


@dataclass
class User:
    user_id: int
    lang: str
    steps: list[Step]
    flooder: bool = False


def workload(questions: list[str], total: int = 2000, users: int = 300, flooders: int = 20,
             flood: int = 14, burst: int = 8) -> list[User]:
    """`total` updates from `users` users: most stay under the throttle, `flooders` send `flood` each.

    Every regular user first chooses the interface language with the /lang button (a third Russian, the rest
    Kazakh, although the fake Telegram says their app is Russian), half vote on their first answer; each
    regular user asks distinct questions, so a duplicate answer is always visible.
    """
    out = [User(500_000 + i, "ru", [Step("question", questions[0])] * flood, flooder=True) for i in range(flooders)]
    regular = users - flooders
    remaining = total - flooders * flood
    base, extra = divmod(remaining, regular)
    assert base + 1 <= burst and base + 1 <= len(questions) + 2, "regular users must stay under the throttle"
    for u in range(regular):
        n = base + (1 if u < extra else 0)
        lang = "ru" if u % 3 == 0 else "kk"
        steps: list[Step] = [Step("lang", lang)]
        qs = [questions[(u + k) % len(questions)] for k in range(len(questions))]
        asked = 0
        while len(steps) < n:
            steps.append(Step("question", qs[asked]))
            asked += 1
            if asked == 1 and u % 2 == 0 and len(steps) < n:
                steps.append(Step("vote"))
        out.append(User(600_000 + u, lang, steps))
    assert sum(len(u.steps) for u in out) == total
    return out
