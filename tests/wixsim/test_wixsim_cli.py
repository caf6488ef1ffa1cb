"""The `wixsim serve` command: generated credentials written with --keys-out, a working server (a subprocess)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import httpx
import pytest
from typer.testing import CliRunner

from wixsim import cli as wixsim_cli


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# A fresh interpreter's start-up: seconds alone, far more on a machine shared with other jobs.
@pytest.mark.timeout(180)
@pytest.mark.slow
def test_serve_generates_keys_and_writes_them(tmp_path):
    keys = tmp_path / "keys.json"
    port = free_port()
    command = [
        sys.executable,
        "-c",
        "from wixsim.cli import main; main()",
        "serve",
        "--port",
        str(port),
        "--keys-out",
        str(keys),
        "--rate-limit",
        "0",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                app = httpx.get(f"http://127.0.0.1:{port}/_sim/app", timeout=1).json()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "wixsim serve did not come up"
                time.sleep(0.05)
        written = json.loads(keys.read_text())
        assert written["appId"] == app["appId"]
        assert written["publicKeyPem"] == app["publicKeyPem"]
        assert written["baseUrl"] == f"http://127.0.0.1:{port}"
        settings = httpx.get(f"http://127.0.0.1:{port}/_sim/settings").json()
        assert settings["rateLimitPerMinute"] is None
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert app["appId"] in output
    assert "BEGIN PUBLIC KEY" in output


def test_a_private_key_that_is_not_an_rsa_pem_stops_start_up(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    ec_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cases = {"empty.pem": b"", "garbage.pem": b"not a key\n", "ec.pem": ec_key}
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        # In-process: the key is checked before anything listens (a regression would serve, and time out).
        done = CliRunner().invoke(wixsim_cli.cli, ["serve", "--port", str(free_port()), "--private-key", str(path)])
        assert done.exit_code == 2, (name, done.stdout, done.stderr)
        assert f"--private-key {path}" in done.stderr
        assert "listening" not in done.stdout
