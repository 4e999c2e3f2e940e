"""Starts the real backend for end-to-end tests: the release .wasm components
under devhost, either with devhost's embedded gateway or behind a real Pushpin.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
API_TOKEN = "e2e-api-token"


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout}s")


def build_once() -> Path:
    """Builds the components (release wasm) and devhost; returns devhost's path.
    DEVHOST_BIN names an already built devhost and skips building (for
    iterating on the tests alone)."""
    if os.environ.get("DEVHOST_BIN"):
        return Path(os.environ["DEVHOST_BIN"])
    subprocess.run([str(ROOT / "scripts" / "build-components")], check=True, cwd=ROOT)
    # The same selection as `cargo test --workspace`, so that after it (as in
    # scripts/test) nothing is rebuilt: building devhost alone would resolve
    # other features and compile wasmtime a second time.
    subprocess.run(["cargo", "test", "--workspace", "--no-run", "--quiet"], check=True, cwd=ROOT)
    return target_dir() / "debug" / "devhost"


@dataclass
class Backend:
    """A running backend: where charge points and operators reach it."""

    ws_url: str
    api_url: str
    state_dir: Path
    processes: list = field(default_factory=list)
    log_files: list = field(default_factory=list)
    # Trusts the test CA when the API is served over TLS.
    ssl_context: object = None

    def api(self, method: str, path: str, body=None, token: str | None = API_TOKEN):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.api_url + path, data=data, method=method)
        req.add_header("content-type", "application/json")
        if token is not None:
            req.add_header("authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=30, context=self.ssl_context) as resp:
                raw = resp.read()
                return resp.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw)
            except ValueError:
                return e.code, raw.decode(errors="replace")

    def stop(self) -> None:
        for p in reversed(self.processes):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        for f in self.log_files:
            f.close()

    def logs(self) -> str:
        return "\n".join(Path(f.name).read_text(errors="replace")[-4000:] for f in self.log_files)


# When set (postgres://user@host:port/db), every devhost started here keeps its SQL data in
# PostgreSQL instead of <state-dir>/sqlite_db.db: one database per state directory, so a
# devhost started again on the same directory finds its data, as it finds the SQLite file.
DATABASE_URL_ENV = "CSMS_E2E_DATABASE_URL"


def postgres_for(state_dir: Path) -> dict[str, str]:
    """The database_url and database_origin variables of state_dir's own database."""
    import hashlib
    import urllib.parse
    server = urllib.parse.urlsplit(os.environ[DATABASE_URL_ENV])
    name = "e2e_" + hashlib.sha256(str(state_dir.resolve()).encode()).hexdigest()[:12]
    created = subprocess.run(["psql", os.environ[DATABASE_URL_ENV], "-qc", f"CREATE DATABASE {name}"],
                             capture_output=True, text=True)
    if created.returncode != 0 and "already exists" not in created.stderr:
        raise RuntimeError(f"creating database {name}: {created.stderr}")
    port = server.port or 5432
    return {
        "database_url": urllib.parse.urlunsplit(server._replace(path=f"/{name}")),
        "database_origin": f"postgres://{server.hostname}:{port}",
    }


def start_devhost(devhost: Path, state_dir: Path, *, gateway: bool, variables: dict[str, str],
                  manifest: Path | None = None,
                  publish_port: int | None = None, extra_args: tuple[str, ...] = (),
                  log_name: str = "devhost.log", port: int | None = None) -> tuple[subprocess.Popen, int, object]:
    port = port or free_port()
    args = [
        str(devhost), "up", "-f", str(manifest or ROOT / "spin.toml"),
        "--listen", f"127.0.0.1:{port}",
        "--state-dir", str(state_dir),
    ]
    if gateway:
        args += ["--publish-listen", f"127.0.0.1:{publish_port or free_port()}"]
    else:
        args.append("--no-gateway")
    if os.environ.get(DATABASE_URL_ENV) and "database_url" not in variables:
        variables = {**variables, **postgres_for(state_dir)}
    for k, v in variables.items():
        args += ["--variable", f"{k}={v}"]
    args += list(extra_args)
    log = open(state_dir / log_name, "w")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "info")})
    wait_for_port(port, proc, "devhost")
    return proc, port, log


PUSHPIN_CONF = """
[global]
include={{libdir}}/internal.conf
rundir={rundir}
ipc_prefix=pushpin-
port_offset=0
stats_connection_ttl=120
stats_connection_send=true

[runner]
services=condure,zurl,pushpin-proxy,pushpin-handler
http_port={http_port}
logdir={rundir}/log
log_level=2

[proxy]
routesfile={rundir}/routes
sig_key={sig_key}
zurl_out_specs=ipc://{{rundir}}/{{ipc_prefix}}zurl-in
zurl_out_stream_specs=ipc://{{rundir}}/{{ipc_prefix}}zurl-in-stream
zurl_in_specs=ipc://{{rundir}}/{{ipc_prefix}}zurl-out

[handler]
push_in_spec=tcp://127.0.0.1:{push_port}
push_in_http_addr=127.0.0.1
push_in_http_port={publish_port}
"""


def start_pushpin(state_dir: Path, backend_port: int, sig_key: str,
                  publish_port: int | None = None) -> tuple[subprocess.Popen, int, int, object]:
    if shutil.which("pushpin") is None:
        raise RuntimeError("pushpin is not installed (scripts/setup installs it)")
    rundir = state_dir / "pushpin"
    (rundir / "log").mkdir(parents=True, exist_ok=True)
    http_port, publish_port = free_port(), publish_port or free_port()
    (rundir / "routes").write_text(f"* 127.0.0.1:{backend_port},over_http\n")
    conf = rundir / "pushpin.conf"
    conf.write_text(PUSHPIN_CONF.format(rundir=rundir, http_port=http_port, sig_key=sig_key,
                                        push_port=free_port(), publish_port=publish_port))
    log = open(rundir / "pushpin.out", "w")
    proc = subprocess.Popen(["pushpin", "--config", str(conf)], stdout=log, stderr=subprocess.STDOUT)
    wait_for_port(http_port, proc, "pushpin")
    wait_until_proxying(http_port, proc)
    return proc, http_port, publish_port, log


def start_redis(state_dir: Path) -> tuple[subprocess.Popen, int]:
    """A throw-away redis-server: no persistence, its own port."""
    redis = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(redis).exists():
        raise RuntimeError("redis-server is not installed (scripts/setup installs it)")
    port = free_port()
    rundir = state_dir / "redis"
    rundir.mkdir(parents=True, exist_ok=True)
    log = open(rundir / "redis.out", "w")
    proc = subprocess.Popen([redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(rundir)],
                            stdout=log, stderr=subprocess.STDOUT)
    wait_for_port(port, proc, "redis-server")
    return proc, port


def redis_runtime_config(state_dir: Path, redis_port: int) -> Path:
    """A Spin runtime config that puts the `default` key-value store in Redis."""
    path = state_dir / "runtime-config.toml"
    path.write_text(f'[key_value_store.default]\ntype = "redis"\nurl = "redis://127.0.0.1:{redis_port}"\n')
    return path


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {rundir}/nginx.pid;
error_log {rundir}/error.log info;
{user}
events {{ worker_connections 256; }}
http {{
    access_log {rundir}/access.log;
    client_body_temp_path {rundir}/body;
    proxy_temp_path {rundir}/proxy;
    fastcgi_temp_path {rundir}/fastcgi;
    uwsgi_temp_path {rundir}/uwsgi;
    scgi_temp_path {rundir}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        # Ask for a client certificate and say what became of it, but let the backend refuse:
        # a station with a bad certificate gets a 401 and the operator a security event.
        ssl_client_certificate {client_ca};
        ssl_verify_client optional_no_ca;
        location / {{
            proxy_pass http://127.0.0.1:{upstream_port};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            # Set on every request, so a client's own values never pass.
            proxy_set_header X-SSL-Protocol $ssl_protocol;
            proxy_set_header X-SSL-Client-Verify $ssl_client_verify;
            proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert;
            proxy_read_timeout 1h;
        }}
    }}
}}
"""


def start_nginx(state_dir: Path, upstream_port: int, cert: Path, key: Path,
                client_ca: Path) -> tuple[subprocess.Popen, int, object]:
    """nginx from Debian terminating TLS in front of `upstream_port` (Pushpin)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise RuntimeError("nginx is not installed (scripts/setup installs it)")
    rundir = state_dir / "nginx"
    rundir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = rundir / "nginx.conf"
    # As root, the workers would otherwise run as nobody, who cannot reach the temp dirs.
    user = "user root;" if os.geteuid() == 0 else ""
    conf.write_text(NGINX_CONF.format(rundir=rundir, port=port, cert=cert, key=key,
                                      client_ca=client_ca, upstream_port=upstream_port,
                                      user=user))
    log = open(rundir / "nginx.out", "w")
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(rundir)], stdout=log,
                            stderr=subprocess.STDOUT)
    wait_for_port(port, proc, "nginx")
    return proc, port, log


BALANCER_CONF = """
worker_processes 1;
daemon off;
pid {rundir}/nginx.pid;
error_log {rundir}/error.log warn;
{user}
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {rundir}/body;
    proxy_temp_path {rundir}/proxy;
    fastcgi_temp_path {rundir}/fastcgi;
    uwsgi_temp_path {rundir}/uwsgi;
    scgi_temp_path {rundir}/scgi;
    upstream hosts {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://hosts;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_read_timeout 1h;
        }}
    }}
}}
"""


def start_balancer(state_dir: Path, ports: list[int]) -> tuple[subprocess.Popen, int, object]:
    """nginx balancing round-robin over `ports`, as a Kubernetes Service or a cloud load
    balancer spreads requests over the hosts of one app: Pushpin's own route targets are
    tried in order (failover), not balanced."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise RuntimeError("nginx is not installed (scripts/setup installs it)")
    rundir = state_dir / "balancer"
    rundir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;" for p in ports)
    user = "user root;" if os.geteuid() == 0 else ""
    (rundir / "nginx.conf").write_text(BALANCER_CONF.format(rundir=rundir, port=port, servers=servers,
                                                            user=user))
    log = open(rundir / "nginx.out", "w")
    proc = subprocess.Popen([nginx, "-c", str(rundir / "nginx.conf"), "-p", str(rundir)], stdout=log,
                            stderr=subprocess.STDOUT)
    wait_for_port(port, proc, "nginx (balancer)")
    return proc, port, log


def wait_until_proxying(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    """Pushpin's listener opens before its proxy and zurl are connected; until
    they are, requests fail with 502/503 from Pushpin itself. Plain HTTP and
    WebSocket-over-HTTP are separate paths through Pushpin and become ready one
    after the other, so both are probed, at a path that only the dashboard
    answers (it refuses a WebSocket, which is an origin's answer all the same)."""
    deadline = time.monotonic() + timeout
    ready = {"http": False, "websocket": False}
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pushpin exited with {process.returncode}")
        if not ready["http"]:
            ready["http"] = _origin_answers_http(port)
        if ready["http"] and not ready["websocket"]:
            ready["websocket"] = _origin_answers_websocket(port)
        if all(ready.values()):
            return
        time.sleep(0.1)
    raise RuntimeError(f"pushpin did not start proxying ({ready})")


def _origin_answers_http(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/__ready__", timeout=2):
            return True
    except urllib.error.HTTPError as e:
        return e.code not in (502, 503)
    except OSError:
        return False


def _origin_answers_websocket(port: int) -> bool:
    handshake = (
        "GET /__ready__ HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(handshake.encode())
            status_line = s.recv(256).split(b"\r\n", 1)[0].split()
    except OSError:
        return False
    if len(status_line) < 2 or not status_line[1].isdigit():
        return False
    return int(status_line[1]) not in (502, 503)


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
