"""Runs a configuration's catalog sync: claim it, validate, diff, write a draft, publish, record.

One sync at a time per configuration, however many workers: a PENDING sync is claimed with a
conditional update under the configuration's row lock (SQLite serialises writers anyway), and an
IN_PROGRESS sync carries a lease its worker renews on every Wix call. A sync whose worker died is
reclaimed once the lease lapses; a worker that finds its lease taken stops without touching the
draft, which now belongs to the new owner.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from posbridge.config import Settings
from posbridge.logs import get_logger
from posbridge.store.db import Database
from posbridge.store.models import Configuration, Sync, SyncLog
from posbridge.store.types import utcnow
from posbridge.sync.catalog import DISH, KINDS, MENU, SECTION, Ref
from posbridge.sync.diff import ARCHIVE, CREATE, Diff, compute_diff
from posbridge.sync.ownership import OwnershipError
from posbridge.sync.plan import Step, plan, planned_calls, repair_steps
from posbridge.sync.store import Prepared, load_id_map, prepare, record_created, record_synced
from posbridge.sync.wix_location import learn_catalog_id
from posbridge.sync.writer import CatalogsV3Writer, CatalogWriter, RejectedEntities
from posbridge.wix.client import WixClient
from posbridge.wix.errors import WixApiError

log = get_logger("sync")

PENDING, IN_PROGRESS, SYNCED, FAILED = "PENDING", "IN_PROGRESS", "SYNCED", "FAILED"
LEASE_SECONDS = 60.0
# Renew the lease at most this often (each renewal is a database write).
HEARTBEAT_EVERY = 2.0
# Attempts at one sync's draft when a menu create may have been applied twice (see _Run.apply).
MAX_ROUNDS = 3


@dataclass(frozen=True)
class Progress:
    """Where a running sync is: phase, calls done of calls planned, and a line for humans."""

    phase: str  # validate | read | write | publish | done | failed
    done: int
    total: int
    message: str


ProgressCallback = Callable[[Progress], None]
Clock = Callable[[], datetime]
WriterFactory = Callable[[WixClient, str, str, Callable[[str], None]], CatalogWriter]


def v3_writer(
    client: WixClient, instance_id: str, catalog_id: str, before_call: Callable[[str], None]
) -> CatalogWriter:
    """The Catalogs v3 + Draft Catalogs writer (the default target)."""
    return CatalogsV3Writer(client, instance_id, catalog_id, before_call=before_call)


class SyncFailure(Exception):
    """The sync cannot complete: a Wix SyncFailedCode, a reason a merchant can read, string params."""

    def __init__(self, code: str, reason: str, params: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.params = params or {}


class UnsureCreate(Exception):
    """A create may have been applied twice in a way that cannot be repaired in this draft."""


class LeaseLost(Exception):
    """Another worker reclaimed this sync (ours looked dead): stop without touching Wix."""


@dataclass(frozen=True)
class Claim:
    """A sync this worker now runs: row id, attempt number and trigger."""

    sync_id: int
    attempt: int
    trigger: str


def run_sync(
    db: Database,
    settings: Settings,
    configuration_pk: int,
    *,
    client: WixClient,
    progress: ProgressCallback | None = None,
    lease_seconds: float = LEASE_SECONDS,
    writer_factory: WriterFactory = v3_writer,
    clock: Clock = utcnow,
) -> bool:
    """Run the configuration's due PENDING sync, if any; True when another PENDING sync is waiting.

    `clock` is "now" for leases, debounce and timestamps (tests move it instead of waiting).
    """
    claim = claim_sync(db, configuration_pk, lease_seconds=lease_seconds, clock=clock)
    if claim is not None:
        _Run(db, settings, configuration_pk, claim, client, progress, lease_seconds, writer_factory, clock).execute()
    return pending_sync_waiting(db, configuration_pk)


def pending_sync_waiting(db: Database, configuration_pk: int) -> bool:
    """Whether a PENDING sync exists for the configuration (due now or later)."""
    with db.transaction(write=False) as session:
        found = session.scalar(
            select(Sync.id).where(Sync.configuration_id == configuration_pk, Sync.status == PENDING).limit(1)
        )
        return found is not None


def next_due(db: Database, configuration_pk: int) -> datetime | None:
    """When the configuration's PENDING sync may start (now if not debounced), or None when none waits."""
    with db.transaction(write=False) as session:
        row = session.execute(
            select(Sync.requested_at, Sync.not_before)
            .where(Sync.configuration_id == configuration_pk, Sync.status == PENDING)
            .order_by(Sync.id)
            .limit(1)
        ).first()
    if row is None:
        return None
    return row.not_before or row.requested_at


def claim_sync(
    db: Database, configuration_pk: int, *, lease_seconds: float = LEASE_SECONDS, clock: Clock = utcnow
) -> Claim | None:
    """Take the configuration's due PENDING sync (or reclaim one whose worker's lease lapsed)."""
    now = clock()
    with db.transaction() as session:
        # Serialises claimers of one configuration on PostgreSQL; SQLite's IMMEDIATE transaction already does.
        session.execute(select(Configuration.id).where(Configuration.id == configuration_pk).with_for_update())
        rows = list(
            session.scalars(
                select(Sync)
                .where(Sync.configuration_id == configuration_pk, Sync.status.in_((PENDING, IN_PROGRESS)))
                .order_by(Sync.id)
            )
        )
        running = [r for r in rows if r.status == IN_PROGRESS]
        if any(r.lease_until is not None and r.lease_until > now for r in running):
            return None
        pending = next((r for r in rows if r.status == PENDING), None)
        target = None
        for stale in running:
            if pending is None and target is None:
                target = stale  # nothing else queued: this very sync runs again
                continue
            stale.status, stale.ended_at = FAILED, now
            stale.failure_code = "SYSTEM_ERROR"
            stale.failure_reason = "The worker running this sync stopped; a newer sync replaces it"
            session.add(SyncLog(sync_id=stale.id, attempt=stale.attempts, level="WARNING", event="abandoned"))
        if target is None:
            if pending is None or (pending.not_before is not None and pending.not_before > now):
                return None
            target = pending
        target.status = IN_PROGRESS
        target.started_at = now
        target.attempts = (target.attempts or 0) + 1
        target.lease_until = now + timedelta(seconds=lease_seconds)
        target.heartbeat_at = now
        target.failure_code = target.failure_reason = target.failure_params = None
        session.add(
            SyncLog(sync_id=target.id, attempt=target.attempts, event="started", data={"trigger": target.trigger})
        )
        session.flush()
        return Claim(target.id, target.attempts, target.trigger)


class _Run:
    """One attempt of one sync."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        configuration_pk: int,
        claim: Claim,
        client: WixClient,
        progress: ProgressCallback | None,
        lease_seconds: float,
        writer_factory: WriterFactory,
        clock: Clock,
    ) -> None:
        self.db = db
        self.settings = settings
        self.configuration_pk = configuration_pk
        self.claim = claim
        self.client = client
        self.progress = progress
        self.lease_seconds = lease_seconds
        self.writer_factory = writer_factory
        self.clock = clock
        self.lines: list[SyncLog] = []
        self.summary: dict[str, Any] = {"trigger": claim.trigger, "attempt": claim.attempt}
        self.started = time.monotonic()
        self.last_beat = time.monotonic()
        self.calls_done = 0
        self.calls_total = 0
        self.phase = "read"
        self.writer: CatalogWriter | None = None
        self.lookup_calls: Counter[str] = Counter()  # Wix calls made outside the writer
        self.draft_open = False

    # --- bookkeeping helpers -----------------------------------------------------------------
    def note(self, event: str, level: str = "INFO", **data: Any) -> None:
        """Buffer one log line (written with the outcome, in the same transaction)."""
        self.lines.append(
            SyncLog(
                sync_id=self.claim.sync_id,
                attempt=self.claim.attempt,
                at=self.clock(),
                level=level,
                event=event,
                data=data or None,
            )
        )

    def report(self, phase: str, message: str) -> None:
        """Tell the progress callback, if any."""
        self.phase = phase
        if self.progress is not None:
            self.progress(Progress(phase, self.calls_done, max(self.calls_total, self.calls_done), message))

    def before_call(self, endpoint: str) -> None:
        """Renew the lease (or learn it was lost) before every Wix call; count progress."""
        if time.monotonic() - self.last_beat >= HEARTBEAT_EVERY:
            self.heartbeat()
        self.calls_done += 1
        self.report(self.phase, endpoint)

    def heartbeat(self) -> None:
        """Extend the lease, if this worker still holds it."""
        now = self.clock()
        with self.db.transaction() as session:
            renewed = session.execute(  # type: ignore[attr-defined]  # DML gives a CursorResult; typed as Result
                update(Sync)
                .where(Sync.id == self.claim.sync_id, Sync.status == IN_PROGRESS, Sync.attempts == self.claim.attempt)
                .values(lease_until=now + timedelta(seconds=self.lease_seconds), heartbeat_at=now)
            ).rowcount
        self.last_beat = time.monotonic()
        if not renewed:
            raise LeaseLost(f"sync {self.claim.sync_id} attempt {self.claim.attempt} was taken over")

    # --- the run -----------------------------------------------------------------------------
    def execute(self) -> None:
        """Run to SYNCED or FAILED; never raises (except a lost lease, which is swallowed here)."""
        try:
            self.sync()
        except LeaseLost as exc:
            log.warning("sync_lease_lost", sync_id=self.claim.sync_id, reason=str(exc))
            return
        except SyncFailure as failure:
            self.fail(failure)
        except OwnershipError as exc:
            self.fail(SyncFailure("SYSTEM_ERROR", f"The provider's catalogSyncConfiguration is invalid: {exc}"))
        except RejectedEntities as exc:
            detail = {
                f"entity{n}": f"{name}: {code} {text}" for n, (name, code, text) in enumerate(exc.failures[:5], 1)
            }
            self.fail(SyncFailure("OTHER", str(exc), {"endpoint": exc.endpoint, **detail}))
        except WixApiError as exc:
            self.fail(_wix_failure(exc))
        except Exception as exc:
            log.exception("sync_crashed", sync_id=self.claim.sync_id)
            self.fail(SyncFailure("SYSTEM_ERROR", f"Internal error during the sync ({type(exc).__name__})"))

    def sync(self) -> None:
        """The happy path; raises SyncFailure (or Wix/lease errors) otherwise."""
        now = self.clock()
        with self.client.track() as stats:
            try:
                self.prepare_and_write(now)
            except LeaseLost:
                raise  # the draft now belongs to the worker that took the sync over
            except BaseException:
                if self.draft_open:
                    self.discard()
                raise
            finally:
                calls = Counter(self.lookup_calls)
                calls.update(self.writer.calls if self.writer else {})
                self.summary["calls"] = dict(calls)
                self.summary["callsTotal"] = sum(calls.values())
                self.summary["attempts"] = dict(stats.calls)
                self.summary["retries"] = stats.retries
                self.summary["throttledSeconds"] = round(stats.throttled_seconds, 3)
        self.succeed()

    def prepare_and_write(self, now: datetime) -> None:
        """Learn the catalog id if need be, validate and build the desired catalog, then write it."""
        self.report("validate", "checking the POS menus")
        lookup = learn_catalog_id(self.db, self.client, self.configuration_pk)
        if lookup.asked:
            self.lookup_calls["getConfiguration"] += 1
        if lookup.problem is not None:
            self.note("invalid", "WARNING", code=lookup.problem.code, problem=str(lookup.problem))
            raise SyncFailure(lookup.problem.code, lookup.problem.message)
        prepared = prepare(self.db, self.settings, self.configuration_pk, now)
        if prepared.skipped_menus:
            self.summary["skippedMenus"] = prepared.skipped_menus
        if not prepared.verdict.ok:
            for problem in prepared.verdict.problems[:50]:
                self.note("invalid", "WARNING", code=problem.code, problem=str(problem))
            verdict = prepared.verdict
            raise SyncFailure(verdict.code, verdict.reason, verdict.params)
        assert prepared.desired is not None and prepared.catalog_id is not None
        desired = prepared.desired
        self.summary["entities"] = desired.count()
        fingerprint = desired.fingerprint(prepared.ownership)
        self.summary["fingerprint"] = fingerprint
        self.summary["ownership"] = prepared.ownership.describe()
        self.writer = self.writer_factory(self.client, prepared.instance_id, prepared.catalog_id, self.before_call)
        self.run_writes(prepared, fingerprint, now)

    def run_writes(self, prepared: Prepared, fingerprint: str, now: datetime) -> None:
        """Fast path, or read → diff → draft → write → publish."""
        assert self.writer is not None and prepared.desired is not None and prepared.catalog_id is not None
        writer, last = self.writer, prepared.last_summary or {}
        self.report("read", "reading the live catalog")
        if self.claim.trigger != "RECONCILE" and last.get("fingerprint") == fingerprint and last.get("publishedDate"):
            # Nothing changed in the POS since the last sync and nobody published since: done.
            version = writer.live_version()
            if version == last["publishedDate"]:
                self.summary.update(unchanged=True, publishedDate=version, counts={})
                self.note("unchanged", publishedDate=version)
                return
        for round_ in range(1, MAX_ROUNDS + 1):
            try:
                self.read_diff_write(prepared, now)
                return
            except UnsureCreate as exc:
                self.discard()
                self.note("restarted", "WARNING", round=round_, reason=str(exc))
                prepared.id_map = load_id_map(self.db, prepared.catalog_id)
        raise SyncFailure("SYSTEM_ERROR", f"Wix kept failing while menus were created ({MAX_ROUNDS} tries)")

    def read_diff_write(self, prepared: Prepared, now: datetime) -> None:
        """Read live, diff, and unless nothing changed write a draft and publish it."""
        assert self.writer is not None and prepared.desired is not None and prepared.catalog_id is not None
        writer, desired = self.writer, prepared.desired
        has = {kind for kind, _ in prepared.id_map}
        live = writer.read_live(sections="SECTION" in has, items=bool(has & {"DISH", "VARIATION"}))
        self.note("live_read", menus=len(live.menus), sections=len(live.sections), items=len(live.items))
        diff = compute_diff(desired, live, prepared.id_map, prepared.ownership)
        steps = plan(diff)
        self.record_diff(diff, steps, writer.batch_size)
        if not diff.needs_writes:
            version = writer.live_version()
            record_synced(self.db, prepared.instance_id, prepared.catalog_id, desired, diff, now)
            self.summary.update(unchanged=True, publishedDate=version)
            return
        self.calls_total = self.calls_done + planned_calls(steps, writer.batch_size) + 2
        self.report("write", "writing the draft")
        writer.open_draft()
        self.draft_open = True
        unsure: set[Ref] = set()
        for step in steps:
            self.apply(step, diff, prepared, unsure)
        if unsure:
            # A create may have been applied twice: give the parents their exact lists.
            repairs = repair_steps(diff, unsure, steps, desired.section_menu)
            self.note("repair", parents=len(unsure), calls=planned_calls(repairs, writer.batch_size))
            self.calls_total += planned_calls(repairs, writer.batch_size)
            for step in repairs:
                self.apply(step, diff, prepared, unsure)
        self.report("publish", "publishing")
        version = self.publish(prepared)
        self.draft_open = False
        self.note("published", publishedDate=version)
        record_synced(self.db, prepared.instance_id, prepared.catalog_id, desired, diff, self.clock())
        self.summary.update(unchanged=False, publishedDate=version)

    def publish(self, prepared: Prepared) -> str | None:
        """Publish the draft; a retried publish that finds no draft checks whether the first one went through."""
        assert self.writer is not None
        try:
            return self.writer.publish()
        except WixApiError as exc:
            if exc.status != 404:
                raise
            # The first publish may have succeeded with its answer lost: then the live version moved on.
            version = self.writer.live_version()
            if version is None or version == (prepared.last_summary or {}).get("publishedDate"):
                raise
            self.note("publish_confirmed", "WARNING", publishedDate=version)
            return version

    def apply(self, step: Step, diff: Diff, prepared: Prepared, unsure: set[Ref]) -> None:
        """Write one step in bulk batches, recording created ids as they arrive.

        A create batch that Wix answered only after a 5xx or a lost connection may have been
        applied twice. Duplicate variations are harmless (nothing lists them); duplicate dishes
        and sections would show, so their parents go into `unsure` for an exact-list update; a
        duplicate menu cannot be found without reading the draft, so the attempt starts over.
        """
        assert self.writer is not None and prepared.catalog_id is not None and prepared.desired is not None
        size = self.writer.batch_size

        def resolve(key: str | Ref) -> str:
            """The Wix id of a key (a Ref is created by an earlier step)."""
            return key if isinstance(key, str) else diff.ids[key]

        for start in range(0, len(step.entries), size):
            batch = step.entries[start : start + size]
            with self.client.track() as call:
                ids = self.writer.write(step.op, step.kind, batch, resolve)
            if step.op == CREATE and _unsure(call.statuses):
                if step.kind == MENU:
                    raise UnsureCreate(f"a menu create was retried after {dict(call.statuses)}")
                for entry in batch:
                    ref = entry.change.pos_ref
                    assert ref is not None
                    if step.kind == DISH:
                        unsure.add(Ref(SECTION, prepared.desired.placement[ref][1]))
                    elif step.kind == SECTION:
                        unsure.add(Ref(MENU, prepared.desired.section_menu[ref]))
            if step.op == CREATE:
                created = []
                for entry, wix_id in zip(batch, ids, strict=True):
                    key = entry.change.key
                    assert isinstance(key, Ref)
                    diff.ids[key] = wix_id
                    created.append((key, wix_id))
                record_created(self.db, prepared.instance_id, prepared.catalog_id, created)
        self.note("step", op=step.op, kind=step.kind, entries=len(step.entries), calls=step.calls(size))

    def record_diff(self, diff: Diff, steps: list[Step], batch_size: int) -> None:
        """Counts per kind and op, menus archived, planned vs minimum calls."""
        counts = diff.counts()
        self.summary["counts"] = counts
        self.summary["archivedMenus"] = [c.name for c in diff.of(ARCHIVE) if c.foreign]
        self.summary["plannedCalls"] = planned_calls(steps, batch_size)
        self.note("diff", "INFO", **{k: v for k, v in counts.items() if k in KINDS})
        if self.summary["archivedMenus"]:
            self.note("archived_wix_menus", "WARNING", menus=self.summary["archivedMenus"])

    def discard(self) -> None:
        """Drop the draft so the live catalog stays exactly as it was (best effort)."""
        assert self.writer is not None
        try:
            self.writer.discard()
            self.draft_open = False
            self.note("draft_discarded")
        except Exception as exc:  # the next sync discards it anyway (409 on create)
            self.note("draft_discard_failed", "WARNING", error=str(exc))

    # --- outcome -----------------------------------------------------------------------------
    def succeed(self) -> None:
        """Record SYNCED."""
        self.summary["durationMs"] = round((time.monotonic() - self.started) * 1000)
        self.note("synced", calls=self.summary.get("calls", {}), counts=self.summary.get("counts", {}))
        self.finish(SYNCED, None)
        self.report("done", "synced")

    def fail(self, failure: SyncFailure) -> None:
        """Record FAILED with Wix's code, the reason and params."""
        self.summary["durationMs"] = round((time.monotonic() - self.started) * 1000)
        self.note("failed", "ERROR", code=failure.code, reason=failure.reason, calls=self.summary.get("calls", {}))
        try:
            self.finish(FAILED, failure)
        except LeaseLost:
            return
        self.report("failed", failure.reason)

    def finish(self, status: str, failure: SyncFailure | None) -> None:
        """Write the outcome and the buffered log, if the lease is still ours."""
        now = self.clock()
        with self.db.transaction() as session:
            sync = session.get(Sync, self.claim.sync_id, with_for_update=True)
            if sync is None or sync.status != IN_PROGRESS or sync.attempts != self.claim.attempt:
                raise LeaseLost(f"sync {self.claim.sync_id} was taken over before it ended")
            sync.status = status
            sync.ended_at = now
            sync.lease_until = None
            sync.summary = self.summary
            if failure is not None:
                sync.failure_code = failure.code
                sync.failure_reason = failure.reason
                sync.failure_params = failure.params
            session.add_all(self.lines)
        log.info(
            "sync_ended",
            sync_id=self.claim.sync_id,
            configuration_pk=self.configuration_pk,
            status=status,
            code=failure.code if failure else None,
            calls=self.summary.get("callsTotal"),
        )


def _unsure(statuses: Counter[str]) -> bool:
    """Whether an attempt failed in a way Wix may still have applied (5xx, timeout, dropped connection)."""
    return any(not (outcome.isdigit() and int(outcome) < 500) for outcome in statuses)


def _wix_failure(exc: WixApiError) -> SyncFailure:
    """A Wix error as a SyncFailedCode with a readable reason."""
    where = f"{exc.method or ''} {exc.path or ''}".strip()
    params = {"status": str(exc.status), "wixCode": exc.code, "endpoint": where}
    if exc.request_id:
        params["requestId"] = exc.request_id
    if exc.status == 404 and "CATALOG" in exc.code:
        return SyncFailure("LOCATION_NOT_FOUND", "Wix no longer has this location's catalog", params)
    if exc.status in (401, 403):
        return SyncFailure("ACCOUNT_NOT_AUTHORIZED", "Wix refused the app's access to this site", params)
    return SyncFailure("SYSTEM_ERROR", f"Wix answered {exc.status} {exc.code} ({exc.message}) on {where}", params)


def minimum_calls(diff: Diff, batch_size: int) -> int:
    """The fewest calls that can apply a diff: ceil(entities / batch) per bulk kind, plus draft create and publish."""
    if not diff.needs_writes:
        return 0
    return sum(math.ceil(len(s.entries) / batch_size) for s in plan(diff)) + 2
