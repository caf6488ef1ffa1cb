"""The `wixsim` command: `wixsim serve` runs the emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from wixsim.server import make_store, uvicorn_config
from wixsim.signer import load_private_key
from wixsim.state import Settings

cli = typer.Typer(help="wixsim: an emulator of Wix for the Restaurants POS integration.", no_args_is_help=True)


@cli.callback()
def _root() -> None:
    """wixsim: an emulator of Wix for the Restaurants POS integration."""


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8099,
    app_id: Annotated[str | None, typer.Option("--app-id", help="App id (generated when omitted)")] = None,
    app_secret: Annotated[str | None, typer.Option("--app-secret", help="App secret (generated)")] = None,
    private_key: Annotated[
        Path | None, typer.Option("--private-key", help="PEM file of the RSA key Wix signs with (generated)")
    ] = None,
    provider_base_uri: Annotated[
        str | None, typer.Option("--provider-base-uri", help="Default SPI base URI of the provider")
    ] = None,
    webhook_url: Annotated[str | None, typer.Option("--webhook-url", help="Default webhook URL")] = None,
    dashboard_url: Annotated[
        str, typer.Option("--dashboard-url", help="Default dashboard page URL")
    ] = "http://127.0.0.1:8000/dashboard",
    state: Annotated[Path | None, typer.Option("--state", help="Persist state (.json, or .db/.sqlite)")] = None,
    keys_out: Annotated[
        Path | None, typer.Option("--keys-out", help="Write app id, secret and public key here (JSON)")
    ] = None,
    rate_limit: Annotated[int, typer.Option("--rate-limit", help="Requests/minute per instance; 0 = off")] = 200,
    token_lifetime: Annotated[int, typer.Option("--token-lifetime", help="Access token lifetime (s)")] = 14400,
    create_order_timeout: Annotated[
        float, typer.Option("--create-order-timeout", help="Seconds before Create Order is resent")
    ] = 10.0,
) -> None:
    """Serve the Wix APIs and the /_sim control API."""
    settings = Settings(
        rate_limit_per_minute=rate_limit or None,
        token_lifetime_seconds=token_lifetime,
        create_order_timeout_seconds=create_order_timeout,
        default_provider_base_uri=provider_base_uri,
        default_webhook_url=webhook_url,
        default_dashboard_url=dashboard_url,
    )
    store = make_store(
        app_id=app_id,
        app_secret=app_secret,
        private_key_pem=_private_key_pem(private_key) if private_key else None,
        state_file=state,
        settings=settings,
    )
    app = store.data.app
    base_url = f"http://{host}:{port}"
    info = {
        "baseUrl": base_url,
        "appId": app.app_id,
        "appSecret": app.app_secret,
        "publicKeyPem": app.public_key_pem,
    }
    if keys_out:
        keys_out.write_text(json.dumps(info, indent=2) + "\n")
    typer.echo(f"wixsim listening on {base_url}  (control API: {base_url}/_sim/docs)")
    typer.echo(f"app id:     {app.app_id}")
    typer.echo(f"app secret: {app.app_secret}")
    typer.echo("public key (give it to the provider):")
    typer.echo(app.public_key_pem.rstrip())
    uvicorn.Server(uvicorn_config(store, host, port)).run()


def _private_key_pem(path: Path) -> str:
    """The PEM text of `--private-key`; an unreadable, empty or non-RSA file stops start-up with one line."""
    try:
        pem = path.read_text()
        load_private_key(pem)
    except (OSError, ValueError, TypeError) as exc:
        typer.echo(f"wixsim: --private-key {path}: not a readable RSA private key in PEM ({exc})", err=True)
        raise typer.Exit(2) from None
    return pem


def main() -> None:
    """Console script entry point."""
    cli()
