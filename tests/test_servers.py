"""The test servers themselves: a missing one fails CI loudly, and a started one is real and private."""

from __future__ import annotations

import pytest

from tests import servers


def test_missing_server_fails_under_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(servers, "redis_binary", lambda: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true and redis-server is not installed"):
        servers.start_redis()
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match="apt-get install"):
        servers.start_redis()
    monkeypatch.setattr(servers, "postgres_bindir", lambda: None)
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL"):
        servers.start_postgres()


def test_redis_server_is_real_and_emptied_per_test(redis_url: str, redis_server: servers.RedisServer) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        assert client.info("server")["redis_version"]
        assert client.dbsize() == 0
        client.set("k", "v")
        assert client.get("k") == b"v"
    finally:
        client.close()
    assert redis_server.url.startswith("redis://127.0.0.1:")


def test_postgres_runs_unprivileged_on_loopback(postgres_server: servers.PostgresServer) -> None:
    import asyncio

    import asyncpg

    async def probe() -> tuple[str, str, str]:
        conn = await asyncpg.connect(postgres_server.url)
        try:
            row = await conn.fetchrow("SELECT version() AS v, current_setting('listen_addresses') AS l,"
                                      " current_setting('data_directory') AS d")
            return row["v"], row["l"], row["d"]
        finally:
            await conn.close()

    version, listen, data = asyncio.run(probe())
    assert version.startswith("PostgreSQL ")
    assert listen == "127.0.0.1"
    assert data.startswith(str(postgres_server.directory))
