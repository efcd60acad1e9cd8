"""The deployment files in deploy/ agree with the code: setting names, commands, paths, routes and ports.

Docker, systemd and the proxies cannot run here, so these tests check what can be checked without them:
the files parse, everything they name exists, every environment variable is a real setting, and the
image's health check command behaves as intended against a stand-in HTTP server.
"""

from __future__ import annotations

import http.server
import inspect
import re
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import tomllib
from fnmatch import fnmatch
from pathlib import Path
from typing import ClassVar

import pytest
import yaml

from bot import cli
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
COMPOSE_BASE = DEPLOY / "docker-compose.yml"
COMPOSE_OVERRIDES = sorted(DEPLOY.glob("docker-compose.*.yml"))
COMPOSE_FILES = [COMPOSE_BASE, *COMPOSE_OVERRIDES]
DEPLOY_README = DEPLOY / "README.md"

SETTINGS_VARS = {name.upper() for name in Settings.model_fields}
# Variables that are not settings of the app. The operator sets the first group (deploy/README.md says
# where); the second is for the Python process or the image build and never reaches `Settings`.
OPERATOR_VARS = {"DOMAIN", "TELEGRAM_API_ID", "TELEGRAM_API_HASH", "POSTGRES_PASSWORD", "BOT_REPLICAS"}
PROCESS_VARS = {"PATH", "PYTHONUNBUFFERED", "TOKENIZERS_PARALLELISM", "HF_HUB_OFFLINE", "PIP_EXTRA_INDEX_URL",
                "PIP_CACHE_DIR", "POSTGRES_USER", "POSTGRES_DB"}
NON_APP_VARS = OPERATOR_VARS | PROCESS_VARS

_INTERPOLATED = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_ASSIGNED = re.compile(r"(?<![\w-])([A-Z][A-Z0-9_]*)=")


def default(field: str) -> object:
    return Settings.model_fields[field].default


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


# -- parsers ------------------------------------------------------------------------------------------------
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    logical: list[str] = []
    buf = ""
    for line in text.splitlines():
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        logical.append(buf + line)
        buf = ""
    assert not buf, "Dockerfile ends inside a continued line"
    out = []
    for line in logical:
        instruction, _, args = line.strip().partition(" ")
        out.append((instruction.upper(), args.strip()))
    return out


def instructions(name: str) -> list[str]:
    return [args for instr, args in dockerfile() if instr == name]


def dockerfile_env() -> dict[str, str]:
    env = {}
    for args in instructions("ENV"):
        for item in shlex.split(args):
            key, sep, value = item.partition("=")
            assert sep, f"ENV {args!r}: use the KEY=value form"
            env[key] = value
    return env


def exec_form(args: str) -> list[str]:
    assert args.startswith("["), f"use the exec (JSON) form: {args!r}"
    return yaml.safe_load(args)


def systemd_unit() -> dict[str, dict[str, list[str]]]:
    """Sections → key → every value (Environment= may repeat), as systemd reads them; `#`/`;` are comments."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in (DEPLOY / "cassbot.service").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        assert sep and current is not None, f"cassbot.service: unparsable line {raw!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def service(key: str) -> str:
    values = systemd_unit()["Service"].get(key)
    assert values, f"cassbot.service has no {key}="
    return values[-1]


def compose(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("services"), dict), f"{path.name}: no services"
    return data


def env_of(svc: dict) -> dict[str, str]:
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {str(k): str(v) for k, v in env.items()}


def compose_override(name: str) -> dict:
    return compose(DEPLOY / f"docker-compose.{name}.yml")


def readme_setup_command() -> str:
    """The first command of the README's first bash block, up to `&&`: the one install step."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme, re.S)
    assert block, "README.md has no bash block"
    first = next(line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#"))
    return first.split("&&")[0].strip()


# -- compose ------------------------------------------------------------------------------------------------
def test_compose_files_exist_and_parse() -> None:
    assert COMPOSE_BASE.exists()
    names = {p.name for p in COMPOSE_OVERRIDES}
    assert {"docker-compose.webhook.yml", "docker-compose.botapi.yml"} <= names
    for path in COMPOSE_FILES:
        compose(path)


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_compose_paths_exist(path: Path) -> None:
    data = compose(path)
    base_volumes = set(compose(COMPOSE_BASE).get("volumes") or {})
    declared = base_volumes | set(data.get("volumes") or {})
    for name, svc in data["services"].items():
        build = svc.get("build")
        if build is not None:
            context = (path.parent / (build if isinstance(build, str) else build.get("context", "."))).resolve()
            assert context == ROOT, f"{name}: build context {context} is not the repository root"
            dockerfile_path = context / (build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "")
            assert dockerfile_path.is_file(), f"{name}: no Dockerfile at {dockerfile_path}"
        env_files = svc.get("env_file") or []
        for entry in [env_files] if isinstance(env_files, str) else env_files:
            env_path = (path.parent / (entry if isinstance(entry, str) else entry["path"])).resolve()
            template = env_path.with_name(env_path.name + ".example")
            assert env_path.exists() or template.exists(), f"{name}: neither {env_path} nor {template} exists"
        for volume in svc.get("volumes") or []:
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith((".", "/")):
                assert (path.parent / source).exists(), f"{name}: mounted file {source} does not exist"
            else:
                assert source in declared, f"{name}: named volume {source!r} is not declared"
        if "build" not in svc and "image" not in svc:
            assert name in compose(COMPOSE_BASE)["services"], f"{path.name}: {name} extends nothing"


def test_compose_bot_is_polling_by_default_with_data_volume() -> None:
    bot = compose(COMPOSE_BASE)["services"]["bot"]
    assert bot["build"]["dockerfile"] == "deploy/Dockerfile"
    assert bot["env_file"] == "../.env"
    assert bot["restart"] == "unless-stopped"
    assert "ports" not in bot, "polling needs no open port"
    env = env_of(bot)
    assert env.get("BOT_MODE", default("bot_mode")) == "polling"
    # compose's environment wins over env_file, so .env.example's DATA_DIR=data cannot move the data
    assert env["DATA_DIR"] == dockerfile_env()["DATA_DIR"] == "/data"
    volumes = {v.split(":")[1]: v.split(":")[0] for v in bot["volumes"]}
    assert "/data" in volumes and not volumes["/data"].startswith((".", "/")), "data must be a named volume"
    assert "/data" in exec_form(instructions("VOLUME")[-1])


def test_compose_webhook_override_is_consistent_with_the_proxy_and_settings() -> None:
    data = compose_override("webhook")
    bot, caddy = data["services"]["bot"], data["services"]["caddy"]
    env = env_of(bot)
    assert env["BOT_MODE"] == "webhook"
    assert env["LISTEN_HOST"] == "0.0.0.0"
    assert env["WEBHOOK_PATH"] == default("webhook_path")
    assert "ports" not in bot, "only the proxy is public"
    assert {"80:80", "443:443"} <= set(caddy["ports"])
    assert caddy.get("restart") == "unless-stopped"
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    assert "env_file" not in caddy and set(env_of(caddy)) == {"DOMAIN"}, "Caddy gets the domain, no secrets"
    # the bot accepts these values in webhook mode (WEBHOOK_SECRET comes from .env)
    url = re.sub(r"\$\{DOMAIN[^}]*\}", "bot.example.kz", env["WEBHOOK_URL"])
    settings = Settings(_env_file=None, bot_mode=env["BOT_MODE"], webhook_url=url,  # type: ignore[call-arg]
                        webhook_path=env["WEBHOOK_PATH"], webhook_secret="s3cret", listen_host=env["LISTEN_HOST"],
                        listen_port=env["LISTEN_PORT"])
    settings.check_webhook()
    assert settings.webhook_url == "https://bot.example.kz"


def test_compose_botapi_override_points_the_bot_at_the_server() -> None:
    services = compose_override("botapi")["services"]
    url = env_of(services["bot"])["TELEGRAM_API_URL"]
    host, port = re.fullmatch(r"http://([\w.-]+):(\d+)", url).groups()  # type: ignore[union-attr]
    assert host in services and services[host]["image"].startswith("aiogram/telegram-bot-api")
    assert port == "8081"
    assert "ports" not in services[host], "the Bot API server stays on the compose network"


def test_every_env_var_in_compose_files_is_a_setting_or_documented() -> None:
    for path in COMPOSE_FILES:
        text = path.read_text(encoding="utf-8")
        for name, svc in compose(path)["services"].items():
            env = env_of(svc)
            if name == "bot" or str(svc.get("image", "")).startswith("kassatsiya"):
                assert set(env) <= SETTINGS_VARS, f"{path.name}: not settings: {set(env) - SETTINGS_VARS}"
                Settings(_env_file=None, **{k.lower(): v for k, v in env.items() if "$" not in v})  # type: ignore[call-arg]
            else:
                assert set(env) <= NON_APP_VARS, f"{path.name}/{name}: unknown {set(env) - NON_APP_VARS}"
        used = set(_INTERPOLATED.findall(text))
        assert used <= SETTINGS_VARS | NON_APP_VARS, f"{path.name}: unknown {used - SETTINGS_VARS - NON_APP_VARS}"


def test_env_example_names_only_settings() -> None:
    keys = {line.partition("=")[0] for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")}
    assert keys and keys <= SETTINGS_VARS, keys - SETTINGS_VARS


def test_non_app_variables_are_not_settings_and_operator_ones_are_documented() -> None:
    assert not NON_APP_VARS & SETTINGS_VARS
    readme = DEPLOY_README.read_text(encoding="utf-8")
    for name in OPERATOR_VARS:
        assert f"{name}=" in readme, f"deploy/README.md does not say how to set {name}"


# -- proxies -----------------------------------------------------------------------------------------------
def _caddy_matchers(code: str) -> dict[str, dict[str, list[str]]]:
    """Named matchers of a Caddyfile: ``@name { method ...; path ... }`` → {"method": [...], "path": [...]}."""
    out = {}
    for name, body in re.findall(r"^\s*@(\w+)\s*\{([^}]*)\}", code, re.M):
        out[name] = {line.split()[0]: line.split()[1:] for line in body.strip().splitlines() if line.strip()}
    return out


def test_caddyfile_proxies_only_the_webhook_and_the_reading_view() -> None:
    text = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert re.search(r"^\{\$DOMAIN\}\s*\{", code, re.M), "site address must be {$DOMAIN}"
    matchers = _caddy_matchers(code)
    web_path = default("web_path")
    assert matchers == {"webhook": {"method": ["POST"], "path": [default("webhook_path")]},
                        "read": {"method": ["GET", "HEAD"], "path": [web_path, f"{web_path}/*"]}}
    handled = re.findall(r"handle\s+@(\w+)\s*\{", code)
    assert sorted(handled) == sorted(matchers), "each matcher is handled, nothing else is"
    upstreams = re.findall(r"reverse_proxy\s+(\S+)", code)
    assert len(upstreams) == 2 and len(set(upstreams)) == 1, "the webhook and the reading view: one upstream"
    host, port = upstreams[0].rsplit(":", 1)
    webhook = compose_override("webhook")
    assert host in compose(COMPOSE_BASE)["services"]
    assert port == env_of(webhook["services"][host])["LISTEN_PORT"] == str(default("listen_port"))
    assert env_of(webhook["services"][host])["WEB_PATH"] == web_path
    assert env_of(webhook["services"][host])["WEB_BEHIND_PROXY"] == "true", "the search limit needs the client"
    assert re.search(r"handle\s*\{\s*respond 404\s*\}", code), "everything else must answer 404"
    assert "healthz" not in code


def test_nginx_proxies_only_the_webhook_with_the_secret_header_and_the_reading_view() -> None:
    text = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    code = "\n".join(line.split("#")[0] for line in text.splitlines())
    assert code.count("{") == code.count("}"), "unbalanced braces"
    assert re.search(r"listen\s+443\s+ssl", code)
    blocks = re.split(r"\blocation\s+", code)[1:]  # each starts with the location's match and path
    upstream = f"http://127.0.0.1:{default('listen_port')}"
    web_path = default("web_path")
    paths = [b.split("{")[0].split()[-1] for b in blocks]
    passes = [(p, re.search(r"proxy_pass\s+([^;]+);", b).group(1))  # type: ignore[union-attr]
              for p, b in zip(paths, blocks, strict=True) if "proxy_pass" in b]
    assert passes == [(default("webhook_path"), upstream), (f"{web_path}/", upstream)]
    webhook, read = blocks[paths.index(default("webhook_path"))], blocks[paths.index(f"{web_path}/")]
    assert webhook.split()[0] == "=", "exact match"
    assert re.search(r"limit_except\s+POST\s*\{\s*deny all;", webhook)
    assert re.search(r"limit_except\s+GET\s*\{\s*deny all;", read), "GET (and so HEAD) only"
    assert "X-Telegram-Bot-Api-Secret-Token" not in read
    assert re.search(r"proxy_set_header\s+X-Forwarded-For\s", read), "the search limit needs the client"
    assert re.search(rf"location\s+=\s+{web_path}\s*\{{\s*return\s+301\s+{web_path}/;", code)
    assert code.count("proxy_pass") == 2
    assert re.search(r"proxy_set_header\s+X-Telegram-Bot-Api-Secret-Token\s+\$http_x_telegram_bot_api_secret_token;",
                     webhook)
    assert re.search(r"location\s+/\s*\{\s*return\s+404;", code)


# -- systemd -----------------------------------------------------------------------------------------------
SANDBOX = {
    "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
    "PrivateDevices": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes", "ProtectControlGroups": "yes", "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    "RestrictNamespaces": "yes", "LockPersonality": "yes", "SystemCallFilter": "@system-service",
    "CapabilityBoundingSet": "", "UMask": "0077",
}


def test_systemd_unit_runs_the_bot_as_a_dedicated_user() -> None:
    unit = systemd_unit()
    assert {"Unit", "Service", "Install"} <= set(unit)
    assert service("User") == "cassbot"
    assert service("WorkingDirectory") == "/opt/kassatsiya"
    assert service("EnvironmentFile") == "/etc/kassatsiya/env"
    assert service("Restart") == "on-failure"
    assert service("RestartSec") == "5"
    # exit status 2 is what cassbot returns for a bad setting; not worth restarting for
    assert service("RestartPreventExitStatus") == str(inspect.signature(cli._fail).parameters["code"].default)
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]


def test_systemd_execstart_is_the_venv_entry_point_running_the_bot() -> None:
    exe, *args = shlex.split(service("ExecStart"))
    scripts = pyproject()["project"]["scripts"]
    venv_bin = Path(service("WorkingDirectory")) / ".venv" / "bin"
    assert Path(exe).parent == venv_bin and Path(exe).name in scripts
    assert scripts[Path(exe).name] == f"{cli.__name__}:{cli.main.__name__}"
    assert args and cli.COMMANDS[args[0]] is cli.cmd_run


def test_systemd_sandboxing() -> None:
    keys = systemd_unit()["Service"]
    for key, value in SANDBOX.items():
        assert keys.get(key) == [value], f"{key}={value} expected, found {keys.get(key)}"
    # W^X would break PyTorch's JIT'd CPU kernels: deliberately left off (the unit says why)
    assert "MemoryDenyWriteExecute" not in keys


def test_systemd_state_directory_is_the_data_dir() -> None:
    env = dict(item.split("=", 1) for value in systemd_unit()["Service"]["Environment"] for item in shlex.split(value))
    assert set(env) <= SETTINGS_VARS | NON_APP_VARS, set(env) - SETTINGS_VARS - NON_APP_VARS
    assert env["DATA_DIR"] == f"/var/lib/{service('StateDirectory')}"
    Settings(_env_file=None, **{k.lower(): v for k, v in env.items() if k in SETTINGS_VARS})  # type: ignore[call-arg]


# -- Dockerfile ----------------------------------------------------------------------------------------------
def test_dockerfile_installs_with_the_readme_setup_step() -> None:
    assert instructions("FROM")[0] == "python:3.11-slim"
    setup = readme_setup_command()
    assert setup == "bash scripts/setup" and (ROOT / "scripts" / "setup").is_file()
    runs = instructions("RUN")
    setup_at = next(i for i, r in enumerate(runs) if setup in r)
    build_at = next(i for i, r in enumerate(runs) if re.search(r"\bcassbot build\b", r))
    assert setup_at < build_at, "the index is built after the install"
    # anything written to /data after VOLUME is discarded: the build must come first
    order = [instr for instr, args in dockerfile() if instr == "VOLUME" or (instr == "RUN" and "cassbot build" in args)]
    assert order == ["RUN", "VOLUME"]


def test_dockerfile_copy_sources_exist_and_context_is_clean() -> None:
    for args in instructions("COPY"):
        parts = [p for p in shlex.split(args) if not p.startswith("--")]
        assert len(parts) >= 2
        for source in parts[:-1]:
            assert (ROOT / source).exists(), f"COPY source {source} does not exist"
    ignore = [line.strip() for line in (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")]
    for needed in (".venv", "data", ".git", ".env", "**/__pycache__"):
        assert needed in ignore, f"{needed} must stay out of the build context"
    # what scripts/setup and the package need must stay in
    for kept in ("scripts", "scripts/setup", "pyproject.toml", "README.md", "bot", "embeddings", "knowledge"):
        assert not any(fnmatch(kept, p.strip("/")) for p in ignore if not p.startswith("!")), kept


def test_dockerfile_runs_as_non_root_and_starts_the_bot() -> None:
    users = instructions("USER")
    assert users and users[-1] not in {"root", "0"}
    assert any("--uid 10001" in r and users[-1] in r for r in instructions("RUN")), "fixed uid 10001"
    names = [instr for instr, _ in dockerfile()]
    assert names.index("USER") < names.index("ENTRYPOINT")
    entry, cmd = exec_form(instructions("ENTRYPOINT")[-1]), exec_form(instructions("CMD")[-1])
    assert entry == ["cassbot"] and entry[0] in pyproject()["project"]["scripts"]
    assert cli.COMMANDS[cmd[0]] is cli.cmd_run, "a container must run the bot, not the sample answer"


def test_dockerfile_environment() -> None:
    env = dockerfile_env()
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["TOKENIZERS_PARALLELISM"] == "false"
    assert env["DATA_DIR"] == "/data"
    assert env["PATH"].startswith("/app/.venv/bin:")
    text = "\n".join(args for _, args in dockerfile())
    used = set(env) | set(_ASSIGNED.findall(text)) | set(_INTERPOLATED.findall(text))
    assert used <= SETTINGS_VARS | NON_APP_VARS, used - SETTINGS_VARS - NON_APP_VARS


def healthz_route() -> str:
    routes = re.findall(r'add_get\("(/[^"]*)"', (ROOT / "bot" / "telegram" / "app.py").read_text(encoding="utf-8"))
    assert len(routes) == 1, routes
    return routes[0]


def healthcheck_command() -> str:
    (args,) = instructions("HEALTHCHECK")
    _options, sep, command = args.partition(" CMD ")
    assert sep and not command.startswith("["), "shell form, so ${LISTEN_PORT:-8080} is expanded"
    return command.strip()


def test_healthcheck_uses_the_registered_route() -> None:
    assert healthz_route() == "/healthz"
    command = healthcheck_command()
    assert f"http://127.0.0.1:${{LISTEN_PORT:-{default('listen_port')}}}{healthz_route()}" in command
    assert "urllib" in command and "curl" not in command


class _Status(http.server.BaseHTTPRequestHandler):
    status = 200
    paths: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _run_healthcheck(env: dict[str, str]) -> int:
    shell = shutil.which("sh")
    if shell is None:
        pytest.skip("no POSIX shell")
    path = f"{Path(sys.executable).parent}:/usr/bin:/bin"
    return subprocess.run([shell, "-c", healthcheck_command()], env={"PATH": path, **env}, timeout=30,
                          capture_output=True).returncode


@pytest.mark.parametrize("status, healthy", [(200, True), (503, False)])
def test_healthcheck_in_webhook_mode_follows_healthz(status: int, healthy: bool) -> None:
    handler = type("Handler", (_Status,), {"status": status, "paths": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        code = _run_healthcheck({"BOT_MODE": "webhook", "LISTEN_PORT": str(server.server_address[1])})
    finally:
        server.shutdown()
        server.server_close()
    assert (code == 0) is healthy
    assert handler.paths == [healthz_route()]


def _closed_port() -> int:
    """A local port nobody listens on (bound once, then released), so connecting to it is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_healthcheck_without_a_server() -> None:
    assert _run_healthcheck({"BOT_MODE": "webhook", "LISTEN_PORT": str(_closed_port())}) != 0
    assert _run_healthcheck({"BOT_MODE": "polling"}) == 0, "polling serves no HTTP: healthy while running"
    assert _run_healthcheck({}) == 0, "polling is the default mode"


# -- README ----------------------------------------------------------------------------------------------------
def test_deploy_readme_matches_the_code() -> None:
    from bot.core.sqlite_store import DB_FILE

    text = DEPLOY_README.read_text(encoding="utf-8")
    for sub in set(re.findall(r"(?<!-u )\bcassbot ([a-z][a-z-]*[a-z])\b", text)):
        assert sub in cli.COMMANDS, f"deploy/README.md mentions an unknown command: cassbot {sub}"
    names = set(re.findall(r"`([A-Z][A-Z0-9_]{2,})(?:=[^`]*)?`", text))
    names |= set(re.findall(r"^([A-Z][A-Z0-9_]+)=", text, re.M))
    assert names <= SETTINGS_VARS | NON_APP_VARS, names - SETTINGS_VARS - NON_APP_VARS
    for path in set(re.findall(r"\b((?:deploy|knowledge|scripts)/[\w.-]+(?:/[\w.-]+)*)", text)):
        assert (ROOT / path).exists(), f"deploy/README.md names a missing file: {path}"
    assert DB_FILE in text and healthz_route() in text
    for key in ("WorkingDirectory", "EnvironmentFile"):
        assert service(key) in text
    assert "/var/lib/" + service("StateDirectory") in text
    assert readme_setup_command() in text
    assert "logOut" in text and "TELEGRAM_API_URL" in text
    for port in ("443", "80", "88", "8443"):
        assert port in text
