"""Run a wixsim server: in the foreground (CLI) or on a free loopback port in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from wixsim.app import build_store, create_app, new_app_credentials
from wixsim.state import Settings, Store

STARTUP_TIMEOUT_SECONDS = 10.0


def make_store(
    *,
    app_id: str | None = None,
    app_secret: str | None = None,
    private_key_pem: str | None = None,
    state_file: Path | None = None,
    settings: Settings | None = None,
) -> Store:
    """A store with the given (or generated) credentials and settings."""
    given = any((app_id, app_secret, private_key_pem))
    credentials = new_app_credentials(app_id, app_secret, private_key_pem) if given or not state_file else None
    return build_store(credentials, settings, state_file)


def uvicorn_config(store: Store, host: str = "127.0.0.1", port: int = 0) -> uvicorn.Config:
    """Uvicorn settings shared by the CLI and the test thread."""
    return uvicorn.Config(
        create_app(store), host=host, port=port, log_level="warning", lifespan="off", access_log=False
    )


@dataclass
class ThreadedServer:
    """Any ASGI app served by uvicorn in a daemon thread on a free port."""

    base_url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        """Stop the server and wait for its thread."""
        self.server.should_exit = True
        self.thread.join(timeout=STARTUP_TIMEOUT_SECONDS)


def serve_in_thread(config: uvicorn.Config) -> ThreadedServer:
    """Serve `config.app` on a free port of `config.host`; returns once it accepts connections."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((config.host, 0))
    port = sock.getsockname()[1]
    config.port = port
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.005)
    return ThreadedServer(f"http://{config.host}:{port}", server, thread)


@dataclass
class ServerHandle(ThreadedServer):
    """A wixsim server running in a background thread, with its store."""

    store: Store | None = None


def start_in_thread(store: Store | None = None, host: str = "127.0.0.1") -> ServerHandle:
    """Start a real wixsim on a free port of `host` in a daemon thread; returns once it accepts calls."""
    store = store or make_store()
    running = serve_in_thread(uvicorn_config(store, host, 0))
    return ServerHandle(running.base_url, running.server, running.thread, store)
