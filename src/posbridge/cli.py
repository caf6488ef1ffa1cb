"""The `posbridge` command: serve, migrate, import menus, link and pair, run the worker, list what is set up.

Each command is a thin adapter over the service layer. Human output is a Rich table or summary;
`--json` prints machine-readable JSON instead. Exit codes: 0 done, 1 refused (bad input or a
business rule, with the reason), 2 cannot start (configuration or database not ready).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from posbridge.config import ConfigError, DatabaseSettings, Settings, load_settings
from posbridge.errors import WixError
from posbridge.logs import configure_logging
from posbridge.pos.importer import ImportReport
from posbridge.pos.menu_format import InvalidMenuDocument
from posbridge.services import pos_deliveries, queries
from posbridge.services.accounts import issue_api_key, link_account
from posbridge.services.menus import import_menu_document
from posbridge.services.pairing import pair_configuration, unpair_configuration
from posbridge.services.strays import Removal, remove_configuration, remove_instance
from posbridge.store import migrate
from posbridge.store.db import Database
from posbridge.store.models import Sync
from posbridge.store.statuses import AccountStatus, SyncStatus
from posbridge.sync.runner import Progress
from posbridge.wix.client import WixClient
from posbridge.wix.generation import Generation

app = typer.Typer(
    help="posbridge: plug a restaurant POS into Wix Restaurants.",
    no_args_is_help=True,
    add_completion=False,
    # Plain tracebacks for real bugs: Rich's pretty ones can print local variables, secrets included.
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
schema_app = typer.Typer(help="The JSON Schemas of posbridge's file formats.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
InstanceOpt = Annotated[str, typer.Option("--instance", help="The Wix instance id (the site's app install).")]
InstanceFilter = Annotated[str | None, typer.Option("--instance", help="Only this instance's order.")]
_OFFLINE_HINT = " (it asks Wix first; --offline for a setup without Wix)"
OfflineFlag = Annotated[
    bool,
    typer.Option(
        "--offline",
        help="Do not ask Wix first (setups without Wix only: a mistyped id is then recorded as given).",
    ),
]


def main() -> None:
    """Console-script entry point."""
    app(prog_name="posbridge")


# --- plumbing ----------------------------------------------------------------------------------


def _exit(message: str, code: int) -> NoReturn:
    err.print(f"posbridge: {message}", markup=False)
    raise typer.Exit(code)


def _settings(*, server: bool, one_shot: bool = True, hint: str = "") -> Settings:
    """Settings for a command; a missing or malformed one stops it with one line naming it (exit 2)."""
    try:
        settings = load_settings() if server else load_settings(DatabaseSettings)
    except ConfigError as exc:
        _exit(str(exc) + hint, 2)
    for warning in settings.warnings:
        err.print(f"posbridge: warning: {warning}", markup=False)
    level = settings.log_level
    if one_shot and "log_level" not in settings.model_fields_set:
        # A command run by a person prints its own summary or refusal; a log line per Wix call (a
        # refused one included: that is the refusal's reason) would bury it, and the progress bar.
        # POSBRIDGE_LOG_LEVEL=WARNING or INFO brings them back.
        level = "ERROR"
    # Logs go to stderr, so `--json` output on stdout stays parseable.
    configure_logging(level, json=settings.log_json)
    return settings


def _database(settings: Settings, *, migrated: bool = True) -> Database:
    """The database, reachable and (unless upgrading it) at the code's schema revision, or exit 2."""
    db = Database(settings.database_url, timeout_seconds=settings.db_timeout_seconds)
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    try:
        current = migrate.current_revision(db)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "unreachable"
        _exit(f"cannot reach the database {shown}: {reason}", 2)
    if migrated and current != migrate.head_revision():
        where = "is not migrated" if current is None else f"is at revision {current}, not {migrate.head_revision()}"
        _exit(f"the database {shown} {where}: run `posbridge db upgrade` first", 2)
    return db


@contextmanager
def _wix(settings: Settings, db: Database, offline: bool) -> Iterator[WixClient | None]:
    """A Wix client for checks against Wix, or None with --offline."""
    if offline:
        yield None
        return
    client = WixClient(settings, db)
    try:
        yield client
    finally:
        client.close()


@contextmanager
def _refusals(as_json: bool) -> Iterator[None]:
    """Render a business error (WixError) the same way for every command: exit 1 with the reason."""
    try:
        yield
    except WixError as exc:
        details = [d.to_wire() for d in exc.details]
        if as_json:
            _print_json({"message": exc.message, "code": exc.code, "details": {"errors": details}})
            raise typer.Exit(1) from None
        err.print(f"posbridge: {exc.code}: {exc.message}", markup=False)
        raise typer.Exit(1) from None


def _known(option: str, value: str | None, allowed: Sequence[str]) -> None:
    """Refuse a filter value no row can have (an empty listing would hide the typo)."""
    if value is not None and value not in allowed:
        _exit(f"{option}: unknown value '{value}' (one of {', '.join(allowed)})", 1)


def _print_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", by_alias=True)
    elif isinstance(value, list):
        value = [v.model_dump(mode="json", by_alias=True) if isinstance(v, BaseModel) else v for v in value]
    sys.stdout.write(json.dumps(value, indent=2) + "\n")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")  # UTC, short enough for an 80-column table
    return str(value)


def _table(title: str, rows: Sequence[BaseModel], columns: Sequence[tuple[str, str]], footer: str = "") -> None:
    """Rows as a Rich table (columns: header, attribute)."""
    if not rows:
        out.print(f"{title}: none")
        return
    table = Table(title=title, title_justify="left")
    for header, _ in columns:
        table.add_column(header)
    for row in rows:
        table.add_row(*(_cell(getattr(row, attr)) for _, attr in columns))
    _print_whole(table)
    if footer:
        out.print(footer)


def _print_whole(table: Table) -> None:
    """Print a table at its natural width: ids are copied from it, so no cell is ever cut to fit the terminal."""
    natural = Measurement.get(out, out.options.update_width(10_000), table).maximum
    width = out.width
    out.width = max(width, natural)
    try:
        out.print(table)
    finally:
        out.width = width


def _page_footer(page: queries.Page[Any]) -> str:
    shown_to = page.offset + len(page.items)
    return f"{page.offset + 1}-{shown_to} of {page.total}" if page.total > len(page.items) else ""


# --- commands ----------------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Server processes (one Python process uses one core; see docs/benchmarks.md).")
    ] = 1,
) -> None:
    """Serve the SPI and the admin API, with an in-process job worker (refuses an unmigrated database)."""
    import uvicorn

    from posbridge.app import create_app

    settings = _settings(server=True, one_shot=False)
    db = _database(settings)
    _require_queue(settings)
    if workers == 1:
        uvicorn.run(create_app(settings, db), host=host, port=port, log_level=settings.log_level.lower())
        return
    db.dispose()
    # Each process builds its own app from the same environment (uvicorn needs an import string for that).
    uvicorn.run(
        "posbridge.app:create_app_from_env",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
    )


@app.command()
def worker() -> None:
    """Run a standalone job worker (catalog syncs and the periodic reconcile)."""
    from posbridge.jobs import run_worker

    settings = _settings(server=True, one_shot=False)
    _database(settings)
    _require_queue(settings)
    try:
        run_worker(settings)
    except ConfigError as exc:
        _exit(str(exc), 2)


def _require_queue(settings: Settings) -> None:
    """A server or worker whose job queue does not answer cannot start (exit 2, one line)."""
    from posbridge.jobs import queue_problem

    problem = queue_problem(settings)
    if problem:
        _exit(problem, 2)


@db_app.command("upgrade")
def db_upgrade(as_json: JsonFlag = False) -> None:
    """Migrate the database to the schema this version needs."""
    db = _database(_settings(server=False), migrated=False)
    before = migrate.current_revision(db)
    migrate.upgrade(db)
    after = migrate.current_revision(db)
    if as_json:
        _print_json({"from": before, "to": after})
    elif before == after:
        out.print(f"database already at revision {after}")
    else:
        out.print(f"database migrated from {before or 'empty'} to revision {after}")


@schema_app.command("menu")
def schema_menu() -> None:
    """Print the JSON Schema of the menu import format (posbridge.menu/1), for editors and validators."""
    from posbridge.pos.menu_format import json_schema

    _print_json({"$schema": "https://json-schema.org/draft/2020-12/schema", **json_schema()})


@app.command("import")
def import_(
    file: Annotated[str, typer.Argument(help="A posbridge.menu/1 JSON document, or - to read standard input.")],
    reset_stock: Annotated[
        bool,
        typer.Option("--reset-stock", help="Set every tracked stock to the document's level, even where unchanged."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Import a merchant's locations and menus; an invalid document is refused whole, every problem listed.

    Stock in the document is a restock level: it is applied where it differs from the level the
    previous import of that item and location set, and left alone where it does not, so stock
    that orders consumed since is never given back by re-importing the same file (no oversell).
    --reset-stock applies every level as written (e.g. after a stock count).
    """
    from posbridge.jobs import build_queue

    settings = _settings(server=False)
    db = _database(settings)
    # The debounced syncs go into the queue's storage, where a running worker runs them when due.
    notify, debounce = build_queue(settings, db).schedule_sync, settings.sync_debounce_seconds
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        _exit(f"cannot read {file}: {exc.strerror}", 1)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        _exit(f"{file} is not JSON: line {exc.lineno} column {exc.colno}: {exc.msg}", 1)
    try:
        if as_json:
            done = import_menu_document(db, document, notify=notify, reset_stock=reset_stock, debounce_seconds=debounce)
        else:
            with err.status(f"Importing {file}…"):
                done = import_menu_document(
                    db, document, notify=notify, reset_stock=reset_stock, debounce_seconds=debounce
                )
    except InvalidMenuDocument as exc:
        if as_json:
            _print_json(
                {
                    "message": str(exc),
                    "code": "INVALID_MENU_DOCUMENT",
                    "details": {"problems": [{"path": p.path, "reason": p.reason} for p in exc.problems]},
                }
            )
            raise typer.Exit(1) from None
        err.print(f"{file}: {exc}; nothing was imported", markup=False)
        for problem in exc.problems:
            err.print(f"  {problem}", markup=False)
        raise typer.Exit(1) from None
    if as_json:
        _print_json({**done.report.to_dict(), "syncsRequested": len(done.syncs)})
    else:
        _print_report(file, done.report)
        if done.syncs:
            # No worker runs inside this command: the requests are durable, a worker's sweep runs them.
            out.print(f"{len(done.syncs)} catalog sync(s) requested; a running worker publishes them shortly")


def _print_report(file: str, report: ImportReport) -> None:
    table = Table(title=f"Imported {file} (merchant {report.merchant_id})", title_justify="left")
    for header in ("kind", "created", "updated", "removed", "unchanged"):
        table.add_column(header, justify="left" if header == "kind" else "right")
    for kind, c in report.kinds.items():
        table.add_row(kind, str(c.created), str(c.updated), str(c.removed), str(c.unchanged))
    out.print(table)
    out.print(f"{report.changed} rows changed" if report.changed else "no changes: the store already matched")


@app.command()
def link(
    instance: InstanceOpt,
    account: Annotated[str, typer.Option("--account", help="The POS account id (built-in POS: the merchant id).")],
    credentials_stdin: Annotated[
        bool, typer.Option("--credentials-stdin", help="Read the POS credentials (API key) from standard input.")
    ] = False,
    contact_name: Annotated[
        str | None, typer.Option("--contact-name", help="Who is contacted about order problems.")
    ] = None,
    contact_email: Annotated[str | None, typer.Option("--contact-email", help="That contact's email.")] = None,
    contact_phone: Annotated[str | None, typer.Option("--contact-phone", help="That contact's phone.")] = None,
    offline: OfflineFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """Connect a POS account to a Wix instance (one connected account per instance).

    Wix must first confirm that the app is installed on the instance (it grants an access token
    for it); nothing is recorded otherwise. --offline skips that question. The account is ready
    (Wix may send orders) once it has a contact for order problems: the three --contact-… options
    together, here or on a later `link` of the same account (or the merchant's dashboard page).
    """
    contact = None
    if contact_name is not None and contact_email is not None and contact_phone is not None:
        contact = (contact_name, contact_email, contact_phone)
    elif contact_name is not None or contact_email is not None or contact_phone is not None:
        _exit("--contact-name, --contact-email and --contact-phone go together", 2)
    settings = _settings(server=not offline, hint=_OFFLINE_HINT)
    credentials = None
    if credentials_stdin:
        credentials = sys.stdin.read().strip()
        if not credentials:
            _exit("--credentials-stdin: nothing was read from standard input", 1)
        if not settings.secret_key:
            _exit("POSBRIDGE_SECRET_KEY is required but not set (it encrypts the stored credentials)", 2)
    db = _database(settings)
    with _refusals(as_json), _wix(settings, db, offline) as wix:
        link_account(
            db,
            instance_id=instance,
            account_id=account,
            credentials=credentials,
            secret_key=settings.secret_key,
            wix=wix,
            contact=contact,
        )
        _show_account(queries.get_account(db, instance_id=instance, account_id=account), as_json)


@app.command("api-key")
def api_key(
    merchant: Annotated[str, typer.Option("--merchant", help="The POS merchant id (its account id).")],
    as_json: JsonFlag = False,
) -> None:
    """Issue a new API key for a POS merchant (replaces the old one); it is shown once, only its hash is stored."""
    db = _database(_settings(server=False))
    with _refusals(as_json):
        key = issue_api_key(db, merchant_id=merchant)
    if as_json:
        _print_json({"merchantId": merchant, "apiKey": key})
    else:
        err.print(f"new API key for merchant {merchant} (shown once; the old key no longer works):")
        sys.stdout.write(key + "\n")


merchants_app = typer.Typer(help="POS merchants: a merchant's own POS.", no_args_is_help=True)
app.add_typer(merchants_app, name="merchants")


@merchants_app.command("set-pos")
def merchants_set_pos(
    merchant: Annotated[str, typer.Option("--merchant", help="The POS merchant id.")],
    url: Annotated[str, typer.Option("--url", help="Where the merchant's POS takes order webhooks.")],
    as_json: JsonFlag = False,
) -> None:
    """Connect a merchant's own POS; prints the new signing secret (whsec_…) once, the old one stops working."""
    settings = _settings(server=False)
    if not settings.secret_key:
        _exit("POSBRIDGE_SECRET_KEY is required but not set (it encrypts the stored signing secret)", 2)
    db = _database(settings)
    with _refusals(as_json):
        info = pos_deliveries.set_pos(db, merchant_id=merchant, url=url, secret_key=settings.secret_key)
    if as_json:
        _print_json({"merchantId": info.merchant_id, "url": info.url, "secret": info.secret})
    else:
        err.print(f"merchant {merchant}: orders go to {info.url}; signing secret (shown once):", markup=False)
        sys.stdout.write(f"{info.secret}\n")


@merchants_app.command("remove-pos")
def merchants_remove_pos(
    merchant: Annotated[str, typer.Option("--merchant", help="The POS merchant id.")],
) -> None:
    """Disconnect a merchant's own POS: its orders go to the built-in kitchen from now on."""
    db = _database(_settings(server=False))
    with _refusals(False):
        removed = pos_deliveries.remove_pos(db, merchant_id=merchant)
    err.print(f"merchant {merchant}: " + ("POS disconnected" if removed else "no POS of its own was connected"))


@app.command()
def disconnect(
    instance: InstanceOpt,
    account: Annotated[str, typer.Option("--account", help="The POS account id.")],
    as_json: JsonFlag = False,
) -> None:
    """Disconnect a POS account from a Wix instance (its configurations are unpaired) and tell Wix.

    Exits 1 when Wix could not be told; running the command again retries that part.
    """
    from posbridge.services.disconnection import disconnect as disconnect_and_tell_wix

    settings = _settings(server=True)
    db = _database(settings)
    client = WixClient(settings, db)
    try:
        with _refusals(as_json):
            done = disconnect_and_tell_wix(db, client, instance_id=instance, account_id=account)
    finally:
        client.close()
    _show_account(done, as_json)
    if done.wix_notified:
        if not as_json:
            out.print("Wix was told (POS connectivity: account disconnected)")
        return
    err.print(f"posbridge: Wix was not told: {done.wix_error}; run the command again to retry", markup=False)
    raise typer.Exit(1)


def _show_account(view: queries.AccountView, as_json: bool) -> None:
    if as_json:
        _print_json(view)
    else:
        out.print(f"account {view.account_id} ({view.merchant_name}) is {view.status} on instance {view.instance_id}")
        if view.status == AccountStatus.ACTIVE and view.missing_information:
            out.print(
                "needs information before Wix may send orders: " + ", ".join(view.missing_information) + " missing"
            )
        if view.wix_disconnect_pending:
            out.print("Wix not told of the disconnect yet: it is retried by the worker, or run `disconnect` again")


BusinessLocationOpt = Annotated[
    str | None,
    typer.Option("--business-location", help="A Wix business location id (sites of Wix Restaurants (New))."),
]


def _wix_location(configuration: str | None, business_location: str | None, as_json: bool) -> tuple[str, bool]:
    """The Wix id a command names: a configuration (legacy sites) or a business location (new ones)."""
    if (configuration is None) == (business_location is None):
        # A usage mistake, not an account problem: exit 2 like any other wrong use of the options.
        _exit("name either --configuration (legacy site) or --business-location (new-generation site)", 2)
    return (business_location, True) if business_location is not None else (str(configuration), False)


@app.command()
def locations(instance: InstanceOpt, as_json: JsonFlag = False) -> None:
    """List the Wix business locations of a site and which generation of Wix Restaurants it runs."""
    from posbridge.wix.client import WixClient
    from posbridge.wix.locations import list_business_locations, site_generation

    settings = _settings(server=True)
    db = _database(settings)
    client = WixClient(settings, db)
    try:
        with _refusals(as_json):
            generation = site_generation(client, instance)
            found = list_business_locations(client, instance) if generation == Generation.NEWGEN else []
    finally:
        client.close()
    rows = [
        {
            "id": loc.get("id"),
            "name": loc.get("name"),
            "default": bool(loc.get("default")),
            "archived": bool(loc.get("archived")),
        }
        for loc in found
    ]
    if as_json:
        _print_json({"instanceId": instance, "generation": str(generation), "locations": rows})
        return
    if generation != Generation.NEWGEN:
        out.print(f"instance {instance} runs legacy Wix Restaurants: pair its configurations (--configuration)")
        return
    table = Table("business location", "name", "default", "archived")
    for row in rows:
        table.add_row(str(row["id"]), str(row["name"]), _cell(row["default"]), _cell(row["archived"]))
    out.print(table)


@app.command()
def pair(
    instance: InstanceOpt,
    location: Annotated[str, typer.Option("--location", help="The POS location id.")],
    configuration: Annotated[
        str | None, typer.Option("--configuration", help="Wix's configuration id (one Wix location; legacy sites).")
    ] = None,
    business_location: BusinessLocationOpt = None,
    menus: Annotated[
        str | None, typer.Option("--menus", help="Comma-separated POS menu ids (default: all sold there).")
    ] = None,
    catalog: Annotated[str | None, typer.Option("--catalog", help="Wix's catalog id of the configuration.")] = None,
    offline: OfflineFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """Pair a Wix configuration (or a new site's business location) with a POS location and choose its menus.

    Wix must first confirm that the configuration (or business location) exists on the instance and
    is not archived; nothing is recorded otherwise. --offline skips that question.
    """
    settings = _settings(server=not offline, hint=_OFFLINE_HINT)
    db = _database(settings)
    menu_ids = [m.strip() for m in menus.split(",") if m.strip()] if menus is not None else None
    wix_id, newgen = _wix_location(configuration, business_location, as_json)
    with _refusals(as_json), _wix(settings, db, offline) as wix:
        pair_configuration(
            db,
            wix=wix,
            instance_id=instance,
            configuration_id=wix_id,
            location_id=location,
            menu_ids=menu_ids,
            catalog_id=catalog,
            generation=Generation.NEWGEN if newgen else Generation.LEGACY,
        )
        _show_configuration(queries.get_configuration(db, instance_id=instance, configuration_id=wix_id), as_json)


@app.command()
def unpair(
    instance: InstanceOpt,
    configuration: Annotated[str, typer.Option("--configuration", help="Wix's configuration id.")],
    as_json: JsonFlag = False,
) -> None:
    """Unpair a Wix configuration from its POS location."""
    db = _database(_settings(server=False))
    with _refusals(as_json):
        unpair_configuration(db, instance_id=instance, configuration_id=configuration)
        _show_configuration(
            queries.get_configuration(db, instance_id=instance, configuration_id=configuration), as_json
        )


@app.command()
def sync(
    instance: InstanceOpt,
    configuration: Annotated[str | None, typer.Option("--configuration", help="Wix's configuration id.")] = None,
    business_location: BusinessLocationOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the exact diff the next sync would apply; write nothing.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Sync the POS menus of a configuration (or business location) into Wix now (or preview it with --dry-run)."""
    from posbridge.services.syncing import describe, preview_sync, sync_now

    configuration, _newgen = _wix_location(configuration, business_location, as_json)

    settings = _settings(server=True)
    db = _database(settings)
    client = WixClient(settings, db)
    try:
        with _refusals(as_json):
            if dry_run:
                result = preview_sync(db, settings, instance, configuration, client=client)
                if as_json:
                    _print_json(result.to_json())
                else:
                    out.print(result.render(), markup=False)
                if result.problems:
                    raise typer.Exit(1)
                return
            if as_json:
                done = sync_now(db, settings, instance, configuration, client=client)
            else:
                # A refusal is a line of its own, before any bar is drawn.
                queries.get_configuration(db, instance_id=instance, configuration_id=configuration)
                with _sync_progress() as progress:
                    done = sync_now(db, settings, instance, configuration, client=client, progress=progress)
    finally:
        client.close()
    if as_json:
        _print_json(_sync_json(done))
    else:
        (out if done.status == SyncStatus.SYNCED else err).print(describe(done), markup=False)
    if done.status != SyncStatus.SYNCED:
        raise typer.Exit(1)


@app.command("wix-edits")
def wix_edits(
    instance: InstanceOpt,
    configuration: Annotated[str | None, typer.Option("--configuration", help="Wix's configuration id.")] = None,
    business_location: BusinessLocationOpt = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Edits made in Wix (the merchant, another app) to menus, items and modifiers a business location syncs."""
    from posbridge.services.menu_events import recent_edits

    configuration, _newgen = _wix_location(configuration, business_location, as_json)
    db = _database(_settings(server=False))
    with _refusals(as_json):
        rows = recent_edits(db, instance, configuration, limit=limit)
    if as_json:
        _print_json(rows)
        return
    if not rows:
        out.print("No edits made in Wix to what posbridge syncs here.")
        return
    for row in rows:
        verdict = _edit_verdict(row.next_sync == "OVERWRITE", row.synced_at)
        out.print(f"{row.event_time.isoformat()} by {row.by}: {row.words}; {verdict}", markup=False)


def _edit_verdict(overwrite: bool, synced_at: datetime | None) -> str:
    """What the sync does (or did) with an edit made in Wix; the same words as the dashboard's card."""
    if synced_at is None:
        return "the next sync overwrites it" if overwrite else "the next sync keeps it"
    done = synced_at.isoformat()
    return f"the sync of {done} put the POS's values back" if overwrite else f"kept by the sync of {done}"


@contextmanager
def _sync_progress() -> Iterator[Callable[[Progress], None]]:
    """A Rich progress bar fed by the sync's progress callback (phase, calls done of planned)."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    # Transient: the bar is gone when the sync ends, so the outcome (or the refusal) gets a line of its own.
    with Bar(
        TextColumn("{task.description:<40}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("validating the POS menu", total=None)

        def update(step: Progress) -> None:
            if step.phase == "failed":
                return  # the failure gets a line of its own once the bar is gone, never the bar's text
            bar.update(task, description=step.message or step.phase, completed=step.done, total=step.total or None)

        yield update


def _sync_json(done: Sync) -> dict[str, Any]:
    return {
        "syncId": done.id,
        "status": done.status,
        "trigger": done.trigger,
        "startedAt": done.started_at.isoformat() if done.started_at else None,
        "endedAt": done.ended_at.isoformat() if done.ended_at else None,
        "failureCode": done.failure_code,
        "failureReason": done.failure_reason,
        "summary": done.summary or {},
    }


def _show_configuration(view: queries.ConfigurationView, as_json: bool) -> None:
    if as_json:
        _print_json(view)
        return
    where = f"POS location {view.location_id}" if view.location_id else "no POS location"
    out.print(
        f"configuration {view.configuration_id}: {where}, menus {_cell(view.menu_ids)}, status {view.status}"
        + (f" ({view.reason})" if view.reason else "")
    )


instances_app = typer.Typer(invoke_without_command=True, no_args_is_help=False)
app.add_typer(instances_app, name="instances")
configurations_app = typer.Typer(invoke_without_command=True, no_args_is_help=False)
app.add_typer(configurations_app, name="configurations")


@instances_app.callback()
def instances(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="ACTIVE or REMOVED.")] = None,
    limit: Annotated[int, typer.Option(help="Rows per page.")] = 100,
    offset: Annotated[int, typer.Option(help="Rows to skip.")] = 0,
    as_json: JsonFlag = False,
) -> None:
    """List Wix instances (sites that installed the app); `instances remove` removes a stray one."""
    if ctx.invoked_subcommand is not None:
        return
    _known("--status", status, queries.INSTANCE_STATUSES)
    page = queries.list_instances(_database(_settings(server=False)), status=status, limit=limit, offset=offset)
    if as_json:
        _print_json(page)
        return
    columns = [
        ("instance", "id"),
        ("status", "status"),
        ("installed", "installed_at"),
        ("accounts", "connected_accounts"),
        ("configurations", "configurations"),
    ]
    _table("Instances", page.items, columns, _page_footer(page))


@app.command()
def accounts(
    instance: Annotated[str | None, typer.Option("--instance", help="Only this instance.")] = None,
    status: Annotated[str | None, typer.Option(help="ACTIVE or DISCONNECTED.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List POS accounts linked to instances."""
    _known("--status", status, queries.ACCOUNT_STATUSES)
    rows = queries.list_accounts(_database(_settings(server=False)), instance_id=instance, status=status)
    if as_json:
        _print_json(rows)
        return
    columns = [
        ("instance", "instance_id"),
        ("account", "account_id"),
        ("merchant", "merchant_name"),
        ("status", "status"),
        ("authorized", "authorized"),
        ("linked", "linked_at"),
    ]
    _table("Accounts", rows, columns)


@configurations_app.callback()
def configurations(
    ctx: typer.Context,
    instance: Annotated[str | None, typer.Option("--instance", help="Only this instance.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List Wix configurations with their pairing and status; `configurations remove` removes a stray one."""
    if ctx.invoked_subcommand is not None:
        return
    rows = queries.list_configurations(_database(_settings(server=False)), instance_id=instance)
    if as_json:
        _print_json(rows)
        return
    columns = [
        ("instance", "instance_id"),
        ("configuration", "configuration_id"),
        ("location", "location_id"),
        ("menus", "menu_ids"),
        ("status", "status"),
        ("reason", "reason"),
    ]
    _table("Configurations", rows, columns)


orders_app = typer.Typer(
    help="Orders: list them (`--attention`: the ones that need it), show one, move it along the kitchen flow.",
    invoke_without_command=True,
)
app.add_typer(orders_app, name="orders")
OrderArg = Annotated[str, typer.Argument(help="The POS order id (Wix's order id works too).")]
ReasonOpt = Annotated[
    str | None, typer.Option("--reason", help="Why (an accept's or a cancel's reason is shown to the customer).")
]


@orders_app.callback()
def orders(
    ctx: typer.Context,
    instance: Annotated[str | None, typer.Option("--instance", help="Only this instance.")] = None,
    status: Annotated[str | None, typer.Option(help="NEW, ACCEPTED, READY, FULFILLED or CANCELED.")] = None,
    attention: Annotated[bool, typer.Option("--attention", help="Only orders that need attention.")] = False,
    location: Annotated[str | None, typer.Option("--location", help="Only this POS location's orders.")] = None,
    limit: Annotated[int, typer.Option(help="Rows per page.")] = 50,
    offset: Annotated[int, typer.Option(help="Rows to skip.")] = 0,
    as_json: JsonFlag = False,
) -> None:
    """List orders, newest first (without a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    _known("--status", status, queries.ORDER_STATUSES)
    db = _database(_settings(server=False))
    page = queries.list_orders(
        db,
        instance_id=instance,
        status=status,
        attention=True if attention else None,
        location_id=location,
        limit=limit,
        offset=offset,
    )
    if as_json:
        _print_json(page)
        return
    columns = [
        ("order", "pos_order_id"),
        ("instance", "instance_id"),
        ("location", "location_id"),
        ("status", "status"),
        ("total", "total"),
        ("fulfillment", "fulfillment_type"),
        ("created", "created_at"),
        ("attention", "needs_attention"),
    ]
    if attention:
        for row in page.items:
            if row.attention is not None:
                row.needs_attention = f"{row.attention.reason} (actions: {', '.join(row.attention.actions)})"
    _table("Orders", page.items, columns, _page_footer(page))


@orders_app.command("show")
def orders_show(order_id: OrderArg, instance: InstanceFilter = None, as_json: JsonFlag = False) -> None:
    """One order whole: lines and options, customer, fulfilment, totals, status history, pushes to Wix."""
    from posbridge.services.order_views import get_order

    db = _database(_settings(server=False))
    with _refusals(as_json):
        detail = get_order(db, order_id, instance_id=instance)
    if as_json:
        _print_json(detail)
        return
    _print_order(detail)


def _order_action(action: str) -> None:
    from posbridge.services.order_flow import ACTIONS

    target = ACTIONS[action]

    def command(
        order_id: OrderArg, reason: ReasonOpt = None, instance: InstanceFilter = None, as_json: JsonFlag = False
    ) -> None:
        from posbridge.jobs import build_queue
        from posbridge.services.order_flow import change_status
        from posbridge.services.order_views import get_order

        settings = _settings(server=False)
        db = _database(settings)
        with _refusals(as_json):
            outcome = change_status(
                db,
                order_id,
                target,
                actor="OPERATOR",
                reason=reason,
                instance_id=instance,
                notify=build_queue(settings, db).enqueue_outbound,
            )
            detail = get_order(db, outcome.pos_order_id, instance_id=instance)
        if as_json:
            _print_json(detail)
            return
        done = "already" if not outcome.changed else "now"
        out.print(f"order {outcome.pos_order_id} is {done} {outcome.status}", markup=False)

    command.__doc__ = f"Move an order to {target} (repeating it changes nothing)."
    orders_app.command(action)(command)


def _print_order(detail: Any) -> None:
    own = f", the POS's {detail.pos_own_order_id}" if detail.pos_own_order_id else ""
    out.print(
        f"order {detail.pos_order_id} (Wix {detail.wix_order_id}{own}) at {detail.location_name}: {detail.status}",
        markup=False,
    )
    if detail.attention is not None:
        out.print(f"needs attention: {detail.attention.reason} (actions: {', '.join(detail.attention.actions)})")
    when = "as soon as possible" if detail.fulfillment.asap else _cell(detail.fulfillment.promised_time)
    out.print(f"{detail.fulfillment.type}, {when}; total {detail.totals.total} {detail.currency}", markup=False)
    for line in detail.lines:
        out.print(f"  {line.quantity} × {line.name}  {line.line_total}", markup=False)
        for option in line.options:
            out.print(f"      {option.group}: {option.name}", markup=False)
        if line.comment:
            out.print(f"      “{line.comment}”", markup=False)
    for step in detail.history:
        reason = f" — {step.reason}" if step.reason else ""
        out.print(f"  {_cell(step.at)} {step.status} by {step.actor}{reason}", markup=False)


@orders_app.command("retry")
def orders_retry(order_id: OrderArg, instance: InstanceFilter = None, as_json: JsonFlag = False) -> None:
    """Send an order's failed updates again (status pushes to Wix, deliveries to the POS)."""
    from posbridge.jobs import build_queue
    from posbridge.services.outbound import retry

    settings = _settings(server=False)
    db = _database(settings)
    with _refusals(as_json):
        jobs = retry(db, order_id, instance_id=instance)
    queue = build_queue(settings, db)
    for job in jobs:
        queue.enqueue_outbound(job)
    if as_json:
        _print_json({"orderId": order_id, "retried": jobs})
        return
    out.print(f"{len(jobs)} failed update(s) of order {order_id} queued again", markup=False)


@orders_app.command("resolve")
def orders_resolve(order_id: OrderArg, instance: InstanceFilter = None, as_json: JsonFlag = False) -> None:
    """Take an order out of needs attention (you dealt with it)."""
    from posbridge.services.attention import resolve

    db = _database(_settings(server=False))
    with _refusals(as_json):
        resolve(db, order_id, instance_id=instance)
    if as_json:
        _print_json({"orderId": order_id, "attention": None})
        return
    out.print(f"order {order_id} needs no attention any more", markup=False)


for _action in ("accept", "ready", "fulfill", "cancel"):
    _order_action(_action)


@orders_app.command("auto-accept")
def orders_auto_accept(
    merchant: Annotated[str, typer.Option("--merchant", help="The POS merchant id.")],
    location: Annotated[str, typer.Option("--location", help="The POS location id.")],
    off: Annotated[bool, typer.Option("--off", help="Leave accepting to the kitchen again.")] = False,
    prep_minutes: Annotated[
        int | None, typer.Option("--prep-minutes", help="The preparation time told to customers.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Accept a location's new orders at once (posbridge tells Wix), or leave it to the kitchen (--off)."""
    from posbridge.services.order_flow import set_auto_accept_at

    db = _database(_settings(server=False))
    with _refusals(as_json):
        done = set_auto_accept_at(db, merchant, location, enabled=not off, prep_minutes=prep_minutes)
    if as_json:
        _print_json(
            {
                "merchantId": done.merchant_id,
                "locationId": done.location_id,
                "enabled": done.enabled,
                "prepMinutes": done.prep_minutes,
            }
        )
        return
    state = "accepts new orders itself" if done.enabled else "leaves accepting to the kitchen"
    promise = f", promising {done.prep_minutes} minutes" if done.enabled and done.prep_minutes else ""
    out.print(f"location {location} of {merchant} {state}{promise}", markup=False)


stock_app = typer.Typer(
    help="Stock and 86: mark an item out (for now or until a time), restore it, set its count; pushed to Wix.",
    no_args_is_help=True,
)
app.add_typer(stock_app, name="stock")
ItemArg = Annotated[str, typer.Argument(help="The POS item id.")]
StockLocation = Annotated[str, typer.Option("--location", help="The POS location id.")]
ChoiceFlag = Annotated[
    bool, typer.Option("--choice", help="ITEM is a choice (a variation, e.g. a size) rather than a dish.")
]
StockMerchant = Annotated[
    str | None, typer.Option("--merchant", help="The POS merchant id (when two merchants have this location id).")
]


def _stock_command(change: Callable[..., Any], as_json: bool, **arguments: Any) -> None:
    """Run a stock change, wake its pushes to Wix, and show the item's stock after it."""
    from posbridge.jobs import build_queue

    settings = _settings(server=False)
    db = _database(settings)
    with _refusals(as_json):
        done = change(db, settings=settings, notify=build_queue(settings, db).enqueue_outbound, **arguments)
    _show_stock([done.view], as_json, single=True)


def _show_stock(views: Sequence[Any], as_json: bool, *, single: bool = False) -> None:
    if as_json:
        _print_json(views[0] if single else list(views))
        return
    for view in views:
        state = "86ed" if view.eighty_sixed else ("sold out" if not view.in_stock else "in stock")
        until = f" until {_cell(view.out_until)}" if view.out_until else ""
        count = "" if view.quantity is None else f", {view.quantity} left"
        out.print(f"{view.item_id} ({view.item_name}) at {view.location_id}: {state}{until}{count}", markup=False)
        if single and view.wix_push:
            out.print(view.wix_push, markup=False)


@stock_app.command("86")
def stock_86(
    item: ItemArg,
    location: StockLocation,
    until: Annotated[
        str | None, typer.Option("--until", help="ISO time it comes back (without a zone: the location's).")
    ] = None,
    for_: Annotated[str | None, typer.Option("--for", help="How long it is out: 2h, 90m, 1h30m.")] = None,
    merchant: StockMerchant = None,
    choice: ChoiceFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """Mark an item out of stock at a location, for now or until a time (it then comes back by itself)."""
    from posbridge.services import stock

    with _refusals(as_json):
        span = stock.parse_duration(for_) if for_ is not None else None
        end = stock.parse_time(until) if until is not None else None
    _stock_command(
        stock.eighty_six, as_json, item=item, location=location, merchant=merchant, until=end, for_=span, choice=choice
    )


@stock_app.command("restore")
def stock_restore(
    item: ItemArg,
    location: StockLocation,
    merchant: StockMerchant = None,
    choice: ChoiceFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """End an item's (or a choice's) 86 at a location now."""
    from posbridge.services import stock

    _stock_command(stock.restore, as_json, item=item, location=location, merchant=merchant, choice=choice)


@stock_app.command("set")
def stock_set(
    item: ItemArg,
    location: StockLocation,
    count: Annotated[int, typer.Option("--count", min=0, help="Portions left (0: sold out).")],
    merchant: StockMerchant = None,
    as_json: JsonFlag = False,
) -> None:
    """Set an item's tracked count at a location."""
    from posbridge.services import stock

    _stock_command(stock.set_count, as_json, item=item, location=location, count=count, merchant=merchant)


@stock_app.command("list")
def stock_list(
    location: StockLocation,
    search: Annotated[str | None, typer.Option("--search", help="Only items whose name or id has this.")] = None,
    out_only: Annotated[bool, typer.Option("--out", help="Only what cannot be sold now.")] = False,
    merchant: StockMerchant = None,
    as_json: JsonFlag = False,
) -> None:
    """The items of a location with their stock (what is 86ed, and until when)."""
    from posbridge.services import stock

    settings = _settings(server=False)
    db = _database(settings)
    with _refusals(as_json):
        views = stock.list_stock(db, location, merchant=merchant, search=search, only_out=out_only, settings=settings)
    _show_stock(views, as_json)


@app.command()
def demo(
    items: Annotated[
        int | None, typer.Option(min=1, help="Grow the built-in menu to this many dishes (default: its own 30).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="posbridge's port (default: a free one).")] = None,
    folder: Annotated[
        Path | None, typer.Option("--dir", help="Folder for the demo's database, keys and logs (default: a new one).")
    ] = None,
    exit_after: Annotated[
        bool, typer.Option("--exit", help="End after the journey (exit 0 only if every step checked out).")
    ] = False,
) -> None:
    """Play the whole journey against wixsim (started here) on the embedded defaults; serve until Ctrl-C."""
    from posbridge.demo.run import run_demo

    if items is not None and items < (least := _demo_menu_size()):
        _exit(f"--items must be at least {least} (the built-in menu's dishes)", 1)
    raise typer.Exit(run_demo(out, items=items, port=port, folder=folder, exit_after=exit_after))


def _demo_menu_size() -> int:
    from posbridge.demo.data import builtin_item_count

    return builtin_item_count()


ForceFlag = Annotated[
    bool,
    typer.Option("--force", help="When it is in use (orders, a Wix catalog posbridge wrote): do the safe part."),
]


@instances_app.command("remove")
def instances_remove(instance: InstanceOpt, force: ForceFlag = False, as_json: JsonFlag = False) -> None:
    """Remove a stray instance (e.g. a mistyped id) with its accounts and pairings.

    An instance with orders, or whose Wix catalog posbridge wrote, is refused; with --force it is
    marked REMOVED instead (as uninstalling the app does) and keeps its orders and history.
    """
    db = _database(_settings(server=False))
    with _refusals(as_json):
        done = remove_instance(db, instance, force=force)
    _show_removal(f"instance {instance}", done, as_json)


@configurations_app.command("remove")
def configurations_remove(
    instance: InstanceOpt,
    configuration: Annotated[str, typer.Option("--configuration", help="Wix's configuration id.")],
    force: ForceFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """Remove a stray configuration (e.g. a mistyped id) with its menu choice and sync history.

    A configuration with orders, or whose Wix catalog posbridge wrote, is refused; with --force
    it is unpaired instead and keeps its orders and history.
    """
    db = _database(_settings(server=False))
    with _refusals(as_json):
        done = remove_configuration(db, instance, configuration, force=force)
    _show_removal(f"configuration {configuration}", done, as_json)


def _show_removal(what: str, done: Removal, as_json: bool) -> None:
    if as_json:
        _print_json({"outcome": done.outcome, "orders": done.orders, "catalogEntities": done.catalog_entities})
        return
    outcome = {"DELETED": "removed", "MARKED_REMOVED": "marked REMOVED (history kept)", "UNPAIRED": "unpaired"}
    out.print(f"{what} {outcome[done.outcome]}", markup=False)
