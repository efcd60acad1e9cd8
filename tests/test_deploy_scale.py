"""Deployment for production and for several replicas: checked offline, with the real tools where they run.

`nginx -t` runs on both nginx stages when nginx is installed (Debian's `nginx-light` is enough); the
wheel build is real (pip, setuptools, Babel), so the compiled translations it carries are the ones a
read-only install uses.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SCALE = DEPLOY / "docker-compose.scale.yml"


def scale() -> dict:
    return yaml.safe_load(SCALE.read_text(encoding="utf-8"))


def env_of(svc: dict) -> dict[str, str]:
    return {str(k): str(v) for k, v in (svc.get("environment") or {}).items()}


def substitute(value: str) -> str:
    return (value.replace("${DOMAIN:?set DOMAIN in .env and pass --env-file .env}", "bot.example.kz")
            .replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}", "pw"))


# -- docker-compose.scale.yml --------------------------------------------------------------------------------
def test_scale_replicas_are_webhook_bots_on_redis_and_postgres() -> None:
    services = scale()["services"]
    assert {"index", "bot", "redis", "postgres", "caddy"} <= set(services)
    bot = services["bot"]
    env = {k: substitute(v) for k, v in env_of(bot).items()}
    settings = Settings(_env_file=None, webhook_secret="s3cret", **{k.lower(): v for k, v in env.items()})  # type: ignore[call-arg]
    settings.check_webhook()
    assert settings.bot_mode == "webhook" and settings.listen_host == "0.0.0.0"
    redis_url = settings.redis_url.get_secret_value()  # type: ignore[union-attr]
    database_url = settings.database_url.get_secret_value()  # type: ignore[union-attr]
    assert re.fullmatch(r"redis://redis:6379/\d+", redis_url)
    assert database_url == "postgresql://cassbot:pw@postgres:5432/cassbot"
    pg = env_of(services["postgres"])
    assert pg["POSTGRES_USER"] == "cassbot" and pg["POSTGRES_DB"] == "cassbot"
    assert str(bot["deploy"]["replicas"]).startswith("${BOT_REPLICAS:-")
    assert "ports" not in bot and "ports" not in services["redis"] and "ports" not in services["postgres"]


def test_scale_index_is_built_once_and_replicas_only_read_it() -> None:
    services = scale()["services"]
    index, bot = services["index"], services["bot"]
    assert index["command"] == ["build"] and "data:/data" in index["volumes"]
    assert bot["volumes"] == ["data:/data:ro"], "replicas must not be able to write the model or index"
    assert bot["depends_on"]["index"]["condition"] == "service_completed_successfully"
    assert bot["depends_on"]["redis"]["condition"] == bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert index["image"] == bot["image"] and "build" in index


def test_scale_proxy_spreads_only_the_webhook_over_every_replica() -> None:
    caddy = scale()["services"]["caddy"]
    assert "./Caddyfile.scale:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    code = "\n".join(line for line in (DEPLOY / "Caddyfile.scale").read_text(encoding="utf-8").splitlines()
                     if not line.lstrip().startswith("#"))
    assert re.findall(r"^\s*path\s+(\S+)\s*$", code, re.M) == [str(Settings.model_fields["webhook_path"].default)]
    assert re.search(r"dynamic a \{\s*name bot\s*port (\d+)", code).group(1) == env_of(  # type: ignore[union-attr]
        scale()["services"]["bot"])["LISTEN_PORT"]
    assert "lb_policy round_robin" in code
    assert re.search(r"handle\s*\{\s*respond 404\s*\}", code) and "healthz" not in code


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy is not installed (apt-get install caddy)")
def test_caddyfile_scale_is_valid_for_caddy(tmp_path: Path) -> None:
    result = subprocess.run(["caddy", "adapt", "--config", str(DEPLOY / "Caddyfile.scale"), "--adapter",
                             "caddyfile", "--validate"], capture_output=True, text=True,
                            env={"DOMAIN": "bot.example.kz", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-2000:]


# -- nginx: both stages pass `nginx -t` -------------------------------------------------------------------
def nginx_t(site: str, tmp_path: Path) -> subprocess.CompletedProcess:
    main = tmp_path / "nginx.conf"
    main.write_text(f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
                    f"http {{\n  access_log off;\n{site}\n}}\n", encoding="utf-8")
    return subprocess.run(["nginx", "-t", "-q", "-p", str(tmp_path), "-e", "stderr", "-c", str(main)],
                          capture_output=True, text=True)


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (apt-get install nginx-light)")
def test_nginx_first_stage_passes_without_a_certificate_and_second_with_one(tmp_path: Path) -> None:
    acme = (DEPLOY / "nginx-acme.conf").read_text(encoding="utf-8")
    assert "ssl" not in acme.split("server {", 1)[1] and "acme-challenge" in acme
    first = nginx_t(acme, tmp_path)
    assert first.returncode == 0, first.stderr
    full = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    without_cert = nginx_t(full, tmp_path)
    assert without_cert.returncode != 0 and "fullchain.pem" in without_cert.stderr  # why stage 1 exists
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: stage 2 needs a certificate")
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=bot.example.kz", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    live = "/etc/letsencrypt/live/bot.example.kz/"
    second = nginx_t(full.replace(live + "fullchain.pem", str(cert)).replace(live + "privkey.pem", str(key)),
                     tmp_path)
    assert second.returncode == 0, second.stderr


# -- production installs: no dev tools, translations compiled at build time -----------------------------------
def test_dockerfile_installs_dependencies_before_copying_the_source() -> None:
    lines = [line.strip() for line in (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    steps = [(i, line) for i, line in enumerate(lines) if line.startswith(("COPY", "RUN"))]
    whole = next(i for i, line in steps if re.match(r"COPY .*\s\.\s+/app$", line))
    deps = next(i for i, line in enumerate(lines) if "--deps-only" in line)
    assert deps < whole, "dependencies must be installed before the whole tree is copied"
    assert all(re.search(r"pyproject\.toml|scripts/setup", line) for i, line in steps
               if i < deps and line.startswith("COPY")), "only what the dependency step needs is copied before it"
    assert "--production" in lines[deps]
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert "[dev]" not in text and "i18n_compile" not in text


def test_production_setup_installs_no_dev_extras() -> None:
    setup = (ROOT / "scripts" / "setup").read_text(encoding="utf-8")
    production = setup.split('if [ "$mode" = dev ]; then', 2)[-1].split("fi", 1)[1]
    assert "[dev]" not in production and "-e " not in production
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert all("--production" in line for line in readme.splitlines() if re.search(r"\bbash scripts/setup\b", line))


def test_wheel_carries_compiled_translations(tmp_path: Path) -> None:
    # What an isolated build would install is what the build system declares (checked here); the build itself
    # then runs on this environment's setuptools and Babel (an isolated one spends ~5 s installing the two).
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]["requires"]
    assert {re.split(r"[<>=!~ ]", r, maxsplit=1)[0].lower() for r in requires} >= {"setuptools", "babel"}
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                             "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    (wheel,) = tmp_path.glob("kassatsiya-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for lang in ("kk", "ru"):
        assert f"bot/locales/{lang}/LC_MESSAGES/messages.mo" in names


def test_translations_without_mo_files_are_compiled_in_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import i18n

    locales = tmp_path / "locales"
    shutil.copytree(i18n.LOCALES, locales, ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setattr(i18n, "LOCALES", locales)
    i18n.translator.cache_clear()
    try:
        ru = i18n.translator("ru")
        msgid = next(line.split('"')[1] for line in (locales / "ru/LC_MESSAGES/messages.po").read_text(
            encoding="utf-8").splitlines() if line.startswith('msgid "') and line != 'msgid ""')
        assert ru.gettext(msgid) != msgid
        assert not list(locales.rglob("*.mo")), "nothing may be written into the package directory"
    finally:
        i18n.translator.cache_clear()
