"""The two servers of the demo: `wixsim serve` and `posbridge serve`, each its own process, wired together.

The demo plays Wix's part in the app's registration: it makes the app id, the secret and the RSA
key pair Wix would sign with, hands the private key to wixsim and the public key to posbridge,
and tells each where the other listens. Everything lands in one fresh folder (database, job
queue, keys, logs, an env file for operator commands), which is kept for inspection.
"""

from __future__ import annotations

import os
import secrets
import shlex
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from posbridge.store import migrate
from posbridge.store.db import Database

HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0


class StartError(RuntimeError):
    """A server of the demo did not come up; the message names it and quotes its log's tail."""


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Wiring:
    """What Wix and the provider agree on when the app is registered, plus where each one listens."""

    folder: Path
    app_id: str
    app_secret: str
    private_key_file: Path
    secret_key: str
    admin_token: str
    posbridge_port: int
    wixsim_port: int

    @property
    def posbridge_url(self) -> str:
        return f"http://{HOST}:{self.posbridge_port}"

    @property
    def wixsim_url(self) -> str:
        return f"http://{HOST}:{self.wixsim_port}"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.folder / 'posbridge.db'}"

    def posbridge_env(self) -> dict[str, str]:
        """posbridge's settings for this demo: the embedded defaults, pointed at wixsim."""
        return {
            "POSBRIDGE_DATABASE_URL": self.database_url,
            "POSBRIDGE_WIX_APP_ID": self.app_id,
            "POSBRIDGE_WIX_APP_SECRET": self.app_secret,
            "POSBRIDGE_WIX_PUBLIC_KEY": f"@{self.folder / 'wix-public-key.pem'}",
            "POSBRIDGE_WIX_API_BASE": self.wixsim_url,
            "POSBRIDGE_SECRET_KEY": self.secret_key,
            "POSBRIDGE_ADMIN_TOKEN": self.admin_token,
            "POSBRIDGE_QUEUE": "sqlite",
            "POSBRIDGE_QUEUE_PATH": str(self.folder / "queue.db"),
            "POSBRIDGE_LOG_JSON": "false",
            # No periodic reconcile: on the wall clock's quarter hour it could start a sync inside the
            # journey's debounce window and race its steps; the demo's syncs are the ones it asks for.
            "POSBRIDGE_SYNC_RECONCILE_MINUTES": "0",
            # wixsim's dashboard page, opened on `localhost`, frames posbridge's page (127.0.0.1).
            "POSBRIDGE_DASHBOARD_FRAME_ANCESTORS": f"http://localhost:{self.wixsim_port}",
        }

    def dashboard_page_url(self, instance_id: str) -> str:
        """The merchant's page as Wix opens it: wixsim's dashboard on another site (`localhost`) framing posbridge's."""
        return f"http://localhost:{self.wixsim_port}/_sim/dashboard/{instance_id}"


def make_wiring(folder: Path, *, posbridge_port: int | None = None, wixsim_port: int | None = None) -> Wiring:
    """Fresh app credentials and key pair in `folder` (created), and the ports (free ones unless given)."""
    folder.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_key_file = folder / "wix-private-key.pem"
    private_key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    private_key_file.chmod(0o600)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (folder / "wix-public-key.pem").write_bytes(public)
    pb_port = posbridge_port or free_port()
    sim_port = wixsim_port or free_port()
    while sim_port == pb_port:
        sim_port = free_port()
    wiring = Wiring(
        folder=folder,
        app_id=str(uuid.uuid4()),
        app_secret=secrets.token_urlsafe(24),
        private_key_file=private_key_file,
        secret_key=secrets.token_urlsafe(32),
        admin_token=secrets.token_urlsafe(24),
        posbridge_port=pb_port,
        wixsim_port=sim_port,
    )
    _write_env_file(wiring)
    return wiring


def _write_env_file(wiring: Wiring) -> None:
    """`demo.env`: source it to run operator commands against the demo's database and wixsim."""
    lines = [f"export {name}={shlex.quote(value)}" for name, value in wiring.posbridge_env().items()]
    path = wiring.folder / "demo.env"
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)


@dataclass
class Server:
    """One server process of the demo and its log file."""

    name: str
    url: str
    ready_path: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes] = field(repr=False)

    def wait_ready(self, deadline: float) -> None:
        """Block until the server answers `ready_path` with 200; a crash or the deadline is a StartError."""
        with httpx.Client(timeout=2.0) as client:
            while True:
                if self.process.poll() is not None:
                    raise StartError(f"{self.name} exited with code {self.process.returncode}: {self.log_tail()}")
                try:
                    if client.get(self.url + self.ready_path).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise StartError(f"{self.name} did not answer on {self.url} in time: {self.log_tail()}")
                time.sleep(0.05)

    def log_tail(self, lines: int = 8) -> str:
        if not self.log_file.closed:
            self.log_file.flush()
        text = self.log_path.read_text(errors="replace").strip().splitlines()
        return " | ".join(text[-lines:]) or "(no output)"

    def stop(self) -> None:
        """SIGTERM (graceful: running jobs end), then SIGKILL after a bound."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        self.log_file.close()


def _spawn(name: str, argv: list[str], env: dict[str, str], folder: Path, url: str, ready_path: str) -> Server:
    log_path = folder / f"{name}.log"
    log_file = log_path.open("ab")
    process = subprocess.Popen(
        argv,
        cwd=folder,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        # Its own process group: the terminal's Ctrl-C reaches the demo, which stops both in order.
        start_new_session=True,
    )
    return Server(name, url, ready_path, process, log_path, log_file)


def _base_env() -> dict[str, str]:
    """The caller's environment without its POSBRIDGE_* settings: the demo must not pick up a real deployment's."""
    return {k: v for k, v in os.environ.items() if not k.startswith("POSBRIDGE_")}


def _wixsim_command() -> list[str]:
    """The `wixsim` console script, installed beside this interpreter by the same package."""
    script = Path(sys.executable).with_name("wixsim")
    if not script.exists():
        raise StartError(f"wixsim is not installed beside {sys.executable} (run `make install`)")
    return [str(script)]


def start_wixsim(wiring: Wiring) -> Server:
    """`wixsim serve` with the demo's app credentials, pointing at posbridge's SPI and webhook URLs."""
    argv = [
        *_wixsim_command(),
        "serve",
        "--host",
        HOST,
        "--port",
        str(wiring.wixsim_port),
        "--app-id",
        wiring.app_id,
        "--app-secret",
        wiring.app_secret,
        "--private-key",
        str(wiring.private_key_file),
        "--provider-base-uri",
        f"{wiring.posbridge_url}/wix/pos-spi",
        "--webhook-url",
        f"{wiring.posbridge_url}/wix/webhooks",
        "--dashboard-url",
        f"{wiring.posbridge_url}/dashboard",
    ]
    return _spawn("wixsim", argv, _base_env(), wiring.folder, wiring.wixsim_url, "/_sim/settings")


def migrate_database(wiring: Wiring) -> None:
    """`posbridge db upgrade` on the demo's fresh SQLite database."""
    db = Database(wiring.database_url)
    try:
        migrate.upgrade(db)
    finally:
        db.dispose()


def start_posbridge(wiring: Wiring, *, log_level: str = "INFO") -> Server:
    """`posbridge serve` (SPI, webhooks, admin API, in-process job worker) on the demo's settings."""
    env = {**_base_env(), **wiring.posbridge_env(), "POSBRIDGE_LOG_LEVEL": log_level}
    argv = [sys.executable, "-m", "posbridge", "serve", "--host", HOST, "--port", str(wiring.posbridge_port)]
    return _spawn("posbridge", argv, env, wiring.folder, wiring.posbridge_url, "/healthz")


def start_both(wiring: Wiring) -> tuple[Server, Server]:
    """wixsim and posbridge, both answering; on failure whatever started is stopped again."""
    started: list[Server] = []
    try:
        wixsim = start_wixsim(wiring)
        started.append(wixsim)
        migrate_database(wiring)  # while wixsim imports
        posbridge = start_posbridge(wiring)
        started.append(posbridge)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        wixsim.wait_ready(deadline)
        posbridge.wait_ready(deadline)
    except BaseException:
        for server in reversed(started):
            server.stop()
        raise
    return wixsim, posbridge
