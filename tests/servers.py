"""Real redis-server and PostgreSQL processes for the tests that need them, started by the tests themselves.

Each server runs on a free loopback port with its data in a fresh temporary directory, once per test
session, and is stopped at the end.  PostgreSQL refuses to run as root, so when the tests run as root
(CI does) the cluster belongs to an unprivileged system user (`postgres` when Debian's package created
it, otherwise one made here) and its commands run through `runuser`.

A missing server binary skips the tests that need it on a developer's machine (with the install
command), but FAILS them when `CI` is set: a green CI must mean the servers really ran.  `scripts/setup`
installs both Debian packages when it runs as root.  Tests that use these fixtures are marked `servers`
automatically (see conftest.py), so `pytest -m "not servers"` runs everything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SERVER_FIXTURES = frozenset({"redis_server", "postgres_server", "redis_url", "database_url"})
INSTALL_HINT = ("run `bash scripts/setup` as root, or `sudo apt-get install -y --no-install-recommends "
                "redis-server postgresql`")
START_TIMEOUT = 30.0
PG_USER = "cassbot"  # the cluster's superuser role; trust authentication on loopback only


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def missing(what: str) -> None:
    """A server that cannot run: a loud failure in CI, a skip with the install command elsewhere."""
    message = f"{what}: {INSTALL_HINT}"
    if in_ci():
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_binary() -> str | None:
    return shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.access(p, os.X_OK)), None)


def postgres_bindir() -> Path | None:
    """The newest Debian PostgreSQL (/usr/lib/postgresql/N/bin), else whatever `initdb` is on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def wait_for_port(port: int, proc: subprocess.Popen | None, what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            break
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    pytest.fail(f"{what} did not start on port {port}:\n{tail}", pytrace=False)


# -- Redis ----------------------------------------------------------------------------------------------------
@dataclass
class RedisServer:
    port: int
    directory: Path
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self, *args: str) -> bytes:
        """One command over RESP, with no client library: used to reset the server between tests."""
        parts = [f"*{len(args)}\r\n".encode()]
        for a in args:
            parts.append(f"${len(a.encode())}\r\n{a}\r\n".encode())
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"".join(parts))
            return s.recv(65536)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def start_redis() -> RedisServer:
    binary = redis_binary()
    if binary is None:
        missing("redis-server is not installed")
    directory = Path(tempfile.mkdtemp(prefix="cassbot-redis-"))
    port = free_port()
    log = directory / "redis.log"
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory), "--save", "",
         "--appendonly", "no", "--daemonize", "no", "--logfile", str(log), "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, proc, "redis-server", log)
    server = RedisServer(port, directory, proc)
    deadline = time.monotonic() + START_TIMEOUT
    while b"PONG" not in server.command("PING"):
        if time.monotonic() > deadline:
            server.stop()
            pytest.fail("redis-server accepts connections but does not answer PING", pytrace=False)
        time.sleep(0.05)
    return server


# -- PostgreSQL -----------------------------------------------------------------------------------------------
def unprivileged_user() -> str | None:
    """None when not root (the cluster runs as the current user); otherwise a system user to run it."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "cassbot-test"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "cassbot-test"],
                   check=True, capture_output=True)
    return "cassbot-test"


@dataclass
class PostgresServer:
    port: int
    directory: Path
    bindir: Path
    user: str | None
    _names: Iterator[int]

    @property
    def url(self) -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/postgres"

    def url_for(self, database: str) -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A fresh, empty database; its URL."""
        import asyncpg

        name = f"t{next(self._names)}"

        async def create() -> None:
            conn = await asyncpg.connect(self.url)
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        asyncio.run(create())
        return self.url_for(name)

    def stop(self) -> None:
        run_as(self.user, [str(self.bindir / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "immediate",
                           "-w", "stop"], check=False)
        shutil.rmtree(self.directory, ignore_errors=True)


def run_as(user: str | None, argv: list[str], check: bool = True) -> subprocess.CompletedProcess:
    if user is not None:
        argv = ["runuser", "-u", user, "--", *argv]
    result = subprocess.run(argv, capture_output=True, text=True, cwd="/")
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}{result.stderr}",
                    pytrace=False)
    return result


def start_postgres() -> PostgresServer:
    bindir = postgres_bindir()
    if bindir is None:
        missing("PostgreSQL (initdb) is not installed")
    user = unprivileged_user()
    # Not under pytest's basetemp: that is private to root (0700) and the cluster's owner must reach it.
    directory = Path(tempfile.mkdtemp(prefix="cassbot-pg-"))
    data = directory / "data"
    if user is not None:
        shutil.chown(directory, user)
    run_as(user, [str(bindir / "initdb"), "-D", str(data), "-U", PG_USER, "-A", "trust", "-E", "UTF8",
                  "--no-locale", "--no-sync"])
    port = free_port()
    options = (f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    run_as(user, [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(directory / "postgres.log"),
                  "-w", "-t", str(int(START_TIMEOUT)), "start"])
    wait_for_port(port, None, "PostgreSQL", directory / "postgres.log")
    return PostgresServer(port, directory, bindir, user, itertools.count(1))


# -- fixtures (imported by conftest.py) -----------------------------------------------------------------------
@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = start_redis()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's redis-server, emptied for this test."""
    redis_server.command("FLUSHALL")
    return redis_server.url


@pytest.fixture
def database_url(postgres_server: PostgresServer) -> str:
    """A fresh database on the session's PostgreSQL, for this test alone."""
    return postgres_server.create_database()
