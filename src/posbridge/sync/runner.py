"""Runs a configuration's catalog sync: claim it, validate, diff, write through the catalog target, commit, record.

The runner knows no Wix API: its catalog target (`posbridge.sync.target`) declares the limits
to validate against, the write steps, and how writes become final (a draft published at once,
or live writes with new menus hidden until complete).

One sync at a time per configuration, however many workers: a PENDING sync is claimed with a
conditional update under the configuration's row lock (SQLite serialises writers anyway), and an
IN_PROGRESS sync carries a lease (`Sync.lease_until`), the only one a sync has: its worker renews
it in the background for as long as the run lives, and checks it before Wix calls. A sync whose
worker died is reclaimed once the lease lapses; a worker that finds its lease taken stops without
touching the target, whose uncommitted writes now belong to the new owner. The job queue takes no
lease of its own: a wake-up that finds the sync claimed by a live worker does nothing.
"""

from __future__ import annotations

import threading
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
from posbridge.store.statuses import SyncStatus
from posbridge.store.types import utcnow
from posbridge.sync.catalog import DISH, KINDS, MENU, SECTION, Ref
from posbridge.sync.diff import ARCHIVE, CREATE, Diff, compute_diff
from posbridge.sync.id_map import load_id_map, record_created, record_synced
from posbridge.sync.ownership import OwnershipError
from posbridge.sync.plan import Step, planned_calls, repair_steps
from posbridge.sync.prepare import Prepared, prepare
from posbridge.sync.summary import SyncSummary
from posbridge.sync.target import CatalogTarget, IdSpaceGone, LiveChanged, RejectedEntities, TargetKind
from posbridge.sync.targets import target_of
from posbridge.wix.client import WixClient
from posbridge.wix.errors import WixApiError

log = get_logger("sync")

LEASE_SECONDS = 60.0
# Renew the lease at most this often (each renewal is a database write).
HEARTBEAT_EVERY = 2.0
# Attempts at one sync when a menu create may have been applied twice (see _Run.apply).
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
# `wait(stop, seconds)`: wait that long unless `stop` is set; True once it is (`threading.Event.wait`).
Waiter = Callable[[threading.Event, float], bool]


class SyncFailure(Exception):
    """The sync cannot complete: a Wix SyncFailedCode, a reason a merchant can read, string params."""

    def __init__(self, code: str, reason: str, params: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.params = params or {}


class UnsureCreate(Exception):
    """A create may have been applied twice in a way that cannot be repaired within this attempt's writes."""


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
    target: TargetKind | None = None,
    clock: Clock = utcnow,
    wait: Waiter = threading.Event.wait,
) -> bool:
    """Run the configuration's due PENDING sync, if any; True when another PENDING sync is waiting.

    `target` is the catalog target to write to; by default the one of the site's generation.
    `clock` is "now" for leases, debounce and timestamps, and `wait` is how the lease's renewal
    waits between renewals (tests move and step them instead of waiting).
    """
    claim = claim_sync(db, configuration_pk, lease_seconds=lease_seconds, clock=clock)
    if claim is not None:
        kind = target or target_of(db, configuration_pk)
        run = _Run(db, settings, configuration_pk, claim, client, progress, lease_seconds, kind, clock)
        with _LeaseKeeper(run, wait):
            run.execute()
    return pending_sync_waiting(db, configuration_pk)


def pending_sync_waiting(db: Database, configuration_pk: int) -> bool:
    """Whether a PENDING sync exists for the configuration (due now or later)."""
    with db.transaction(write=False) as session:
        found = session.scalar(
            select(Sync.id).where(Sync.configuration_id == configuration_pk, Sync.status == SyncStatus.PENDING).limit(1)
        )
        return found is not None


def next_due(db: Database, configuration_pk: int) -> datetime | None:
    """When the configuration's PENDING sync may start (now if not debounced), or None when none waits."""
    with db.transaction(write=False) as session:
        row = session.execute(
            select(Sync.requested_at, Sync.not_before)
            .where(Sync.configuration_id == configuration_pk, Sync.status == SyncStatus.PENDING)
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
                .where(
                    Sync.configuration_id == configuration_pk,
                    Sync.status.in_((SyncStatus.PENDING, SyncStatus.IN_PROGRESS)),
                )
                .order_by(Sync.id)
            )
        )
        running = [r for r in rows if r.status == SyncStatus.IN_PROGRESS]
        if any(r.lease_until is not None and r.lease_until > now for r in running):
            return None
        pending = next((r for r in rows if r.status == SyncStatus.PENDING), None)
        target = None
        for stale in running:
            if pending is None and target is None:
                target = stale  # nothing else queued: this very sync runs again
                continue
            stale.status, stale.ended_at = SyncStatus.FAILED, now
            stale.failure_code = "SYSTEM_ERROR"
            stale.failure_reason = "The worker running this sync stopped; a newer sync replaces it"
            session.add(SyncLog(sync_id=stale.id, attempt=stale.attempts, level="WARNING", event="abandoned"))
        if target is None:
            if pending is None or (pending.not_before is not None and pending.not_before > now):
                return None
            target = pending
        target.status = SyncStatus.IN_PROGRESS
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
        target_kind: TargetKind,
        clock: Clock,
    ) -> None:
        self.db = db
        self.settings = settings
        self.configuration_pk = configuration_pk
        self.claim = claim
        self.client = client
        self.progress = progress
        self.lease_seconds = lease_seconds
        self.target_kind = target_kind
        self.clock = clock
        self.lines: list[SyncLog] = []
        self.summary: SyncSummary = {
            "trigger": claim.trigger,
            "attempt": claim.attempt,
            "atomicity": str(target_kind.atomicity),
        }
        self.started = time.monotonic()
        self.last_beat = time.monotonic()
        self.calls_done = 0
        self.calls_total = 0
        self.phase = "read"
        self.target: CatalogTarget | None = None
        self.lookup_calls: Counter[str] = Counter()  # Wix calls made outside the target
        self.writing = False  # uncommitted writes exist (a DRAFT target's draft is open)
        self.lost = False  # the background renewal found the lease taken over

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
        if self.lost:
            raise LeaseLost(f"sync {self.claim.sync_id} attempt {self.claim.attempt} was taken over")
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
                .where(
                    Sync.id == self.claim.sync_id,
                    Sync.status == SyncStatus.IN_PROGRESS,
                    Sync.attempts == self.claim.attempt,
                )
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
        except IdSpaceGone as exc:
            reason = "Wix no longer has this location's catalog"
            self.fail(SyncFailure("LOCATION_NOT_FOUND", reason, _wix_params(exc)))
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
                raise  # uncommitted writes now belong to the worker that took the sync over
            except BaseException:
                if self.writing:
                    self.abort()
                raise
            finally:
                calls = Counter(self.lookup_calls)
                calls.update(self.target.calls if self.target else {})
                self.summary["calls"] = dict(calls)
                self.summary["callsTotal"] = sum(calls.values())
                self.summary["attempts"] = dict(stats.calls)
                self.summary["retries"] = stats.retries
                self.summary["throttledSeconds"] = round(stats.throttled_seconds, 3)
        self.succeed()

    def prepare_and_write(self, now: datetime) -> None:
        """Learn the target's id space if need be, validate and build the desired catalog, then write it."""
        self.report("validate", "checking the POS menus")
        lookup = self.target_kind.locate(self.db, self.client, self.configuration_pk)
        if lookup.asked:
            self.lookup_calls["getConfiguration"] += 1
        if lookup.problem is not None:
            self.note("invalid", "WARNING", code=lookup.problem.code, problem=str(lookup.problem))
            raise SyncFailure(lookup.problem.code, lookup.problem.message)
        prepared = prepare(self.db, self.settings, self.configuration_pk, now, self.target_kind)
        if prepared.skipped_menus:
            self.summary["skippedMenus"] = prepared.skipped_menus
        if prepared.not_written:
            # Not an error (Wix has nowhere to put it) but never silent: the summary and the log say it.
            self.summary["notWritten"] = prepared.not_written
            for key, count in prepared.not_written.items():
                self.note("not_written", "WARNING", field=key, entities=count, why=self.target_kind.not_held[key])
        if not prepared.verdict.ok:
            for problem in prepared.verdict.problems[:50]:
                self.note("invalid", "WARNING", code=problem.code, problem=str(problem))
            verdict = prepared.verdict
            raise SyncFailure(verdict.code, verdict.reason, verdict.params)
        assert prepared.desired is not None and prepared.id_space is not None
        desired = prepared.desired
        self.summary["entities"] = desired.count()
        fingerprint = desired.fingerprint(prepared.ownership)
        self.summary["fingerprint"] = fingerprint
        self.summary["ownership"] = prepared.ownership.describe()
        self.target = self.target_kind(
            self.client, prepared.instance_id, prepared.id_space, before_call=self.before_call
        )
        self.run_writes(prepared, fingerprint, now)

    def run_writes(self, prepared: Prepared, fingerprint: str, now: datetime) -> None:
        """Fast path, or read → diff → begin → write → commit."""
        assert self.target is not None and prepared.desired is not None and prepared.id_space is not None
        target, last = self.target, prepared.last_summary or {}
        self.report("read", "reading the live catalog")
        if self.claim.trigger != "RECONCILE" and last.get("fingerprint") == fingerprint and last.get("publishedDate"):
            # Nothing changed in the POS since the last sync and nobody published since: done.
            version = target.live_version()
            if version == last["publishedDate"]:
                self.summary.update({"unchanged": True, "publishedDate": version, "counts": {}})
                self.note("unchanged", publishedDate=version)
                return
        for round_ in range(1, MAX_ROUNDS + 1):
            try:
                self.read_diff_write(prepared, now)
                return
            except (UnsureCreate, LiveChanged) as exc:
                # A duplicate menu may exist, or a merchant edited what we were updating: forget what
                # can be forgotten, then read and diff again (ownership decides over the new values).
                self.abort()
                self.note("restarted", "WARNING", round=round_, reason=str(exc))
                prepared.id_map = load_id_map(self.db, prepared.id_space)
        raise SyncFailure(
            "SYSTEM_ERROR",
            f"Wix kept failing, or the catalog kept changing, while the sync wrote it ({MAX_ROUNDS} tries)",
        )

    def read_diff_write(self, prepared: Prepared, now: datetime) -> None:
        """Read live, diff, and unless nothing changed write through the target and commit."""
        assert self.target is not None and prepared.desired is not None and prepared.id_space is not None
        target, desired = self.target, prepared.desired
        batch_size = target.limits.batch_size
        has = {kind for kind, _ in prepared.id_map}
        live = target.read_live(sections="SECTION" in has, items=bool(has & {"DISH", "VARIATION"}))
        self.note("live_read", menus=len(live.menus), sections=len(live.sections), items=len(live.items))
        appends = self.target_kind.appends_created_children
        diff = compute_diff(desired, live, prepared.id_map, prepared.ownership, appends_created_children=appends)
        steps = target.plan(diff)
        self.record_diff(diff, steps, batch_size)
        if not diff.needs_writes:
            version = target.live_version()
            record_synced(self.db, prepared.instance_id, prepared.id_space, desired, diff, now)
            self.summary.update({"unchanged": True, "publishedDate": version})
            return
        self.calls_total = self.calls_done + planned_calls(steps, batch_size) + 2
        self.report("write", "writing")
        target.begin()
        self.writing = True
        unsure: set[Ref] = set()
        for step in steps:
            self.apply(step, diff, prepared, unsure)
        if unsure:
            # A create may have been applied twice: give the parents their exact lists.
            repairs = repair_steps(diff, unsure, steps, desired.section_menu)
            self.note("repair", parents=len(unsure), calls=planned_calls(repairs, batch_size))
            self.calls_total += planned_calls(repairs, batch_size)
            for step in repairs:
                self.apply(step, diff, prepared, unsure)
        self.report("publish", "publishing")
        commit = target.commit((prepared.last_summary or {}).get("publishedDate"))
        self.writing = False
        if commit.confirmed:
            # The commit's answer was lost, but the live version shows it went through.
            self.note("publish_confirmed", "WARNING", publishedDate=commit.version)
        self.note("published", publishedDate=commit.version)
        record_synced(self.db, prepared.instance_id, prepared.id_space, desired, diff, self.clock())
        self.summary.update({"unchanged": False, "publishedDate": commit.version})

    def apply(self, step: Step, diff: Diff, prepared: Prepared, unsure: set[Ref]) -> None:
        """Write one step in bulk batches, recording created ids as they arrive.

        A create batch that Wix answered only after a 5xx or a lost connection may have been
        applied twice. Duplicate variations are harmless (nothing lists them); duplicate dishes
        and sections would show, so their parents go into `unsure` for an exact-list update; a
        duplicate menu cannot be found without reading the catalog again, so the attempt starts
        over (aborted first: a DRAFT target forgets the draft; on a LIVE target the duplicate is
        a hidden menu the POS does not own, archived by the next read's diff). The ids a create
        returned are recorded before that, so the next attempt finds the menus it made, hidden,
        and shows them rather than creating them again.
        """
        assert self.target is not None and prepared.id_space is not None and prepared.desired is not None
        size = self.target.limits.batch_size

        def resolve(key: str | Ref) -> str:
            """The Wix id of a key (a Ref is created by an earlier step)."""
            return key if isinstance(key, str) else diff.ids[key]

        for start in range(0, len(step.entries), size):
            batch = step.entries[start : start + size]
            with self.client.track() as call:
                ids = self.target.write(step.op, step.kind, batch, resolve)
            if step.op == CREATE:
                # Recorded first, even when unsure: these ids are ours for certain, and a restarted
                # attempt must find them (else a LIVE target's menus would be created again).
                created = []
                for entry, wix_id in zip(batch, ids, strict=True):
                    key = entry.change.key
                    assert isinstance(key, Ref)
                    diff.ids[key] = wix_id
                    created.append((key, wix_id))
                record_created(self.db, prepared.instance_id, prepared.id_space, created)
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

    def abort(self) -> None:
        """Forget uncommitted writes, so the live catalog stays as it was (best effort)."""
        assert self.target is not None
        try:
            self.target.abort()
            self.writing = False
            self.note("draft_discarded")
        except Exception as exc:  # a DRAFT target's next begin discards it anyway (409 on create)
            self.note("draft_discard_failed", "WARNING", error=str(exc))

    # --- outcome -----------------------------------------------------------------------------
    def succeed(self) -> None:
        """Record SYNCED."""
        self.summary["durationMs"] = round((time.monotonic() - self.started) * 1000)
        self.note("synced", calls=self.summary.get("calls", {}), counts=self.summary.get("counts", {}))
        self.finish(SyncStatus.SYNCED, None)
        self.report("done", "synced")

    def fail(self, failure: SyncFailure) -> None:
        """Record FAILED with Wix's code, the reason and params."""
        self.summary["durationMs"] = round((time.monotonic() - self.started) * 1000)
        self.note("failed", "ERROR", code=failure.code, reason=failure.reason, calls=self.summary.get("calls", {}))
        try:
            self.finish(SyncStatus.FAILED, failure)
        except LeaseLost:
            return
        self.report("failed", failure.reason)

    def finish(self, status: SyncStatus, failure: SyncFailure | None) -> None:
        """Write the outcome and the buffered log, if the lease is still ours."""
        now = self.clock()
        with self.db.transaction() as session:
            sync = session.get(Sync, self.claim.sync_id, with_for_update=True)
            if sync is None or sync.status != SyncStatus.IN_PROGRESS or sync.attempts != self.claim.attempt:
                raise LeaseLost(f"sync {self.claim.sync_id} was taken over before it ended")
            sync.status = status
            sync.ended_at = now
            sync.lease_until = None
            sync.summary = dict(self.summary)
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


class _LeaseKeeper:
    """Renews a run's lease in the background while it lives.

    A long wait between Wix calls (a rate-limit pause, a slow database) thus never lets the lease
    lapse under a live worker, while a killed worker stops renewing and its sync is taken over.
    """

    def __init__(self, run: _Run, wait: Waiter) -> None:
        self.run, self.wait = run, wait
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.renew, name=f"sync-lease-{run.claim.sync_id}", daemon=True)

    def __enter__(self) -> _LeaseKeeper:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def renew(self) -> None:
        """Every third of the lease, push it forward; stop once it is lost."""
        while not self.wait(self.stop, self.run.lease_seconds / 3):
            try:
                self.run.heartbeat()
            except LeaseLost:
                self.run.lost = True  # the run stops at its next Wix call
                return
            except Exception:
                # A database hiccup: try again; the lease only lapses after lease_seconds.
                log.exception("sync_lease_renew_failed", sync_id=self.run.claim.sync_id)


def _unsure(statuses: Counter[str]) -> bool:
    """Whether an attempt failed in a way Wix may still have applied (5xx, timeout, dropped connection)."""
    return any(not (outcome.isdigit() and int(outcome) < 500) for outcome in statuses)


def _wix_params(exc: WixApiError) -> dict[str, str]:
    """What a failure's params say of Wix's answer: status, code, endpoint and request id."""
    where = f"{exc.method or ''} {exc.path or ''}".strip()
    params = {"status": str(exc.status), "wixCode": exc.code, "endpoint": where}
    if exc.request_id:
        params["requestId"] = exc.request_id
    return params


def _wix_failure(exc: WixApiError) -> SyncFailure:
    """A Wix error as a SyncFailedCode with a readable reason (the target says when its id space is gone)."""
    params = _wix_params(exc)
    where = params["endpoint"]
    if exc.status in (401, 403):
        return SyncFailure("ACCOUNT_NOT_AUTHORIZED", "Wix refused the app's access to this site", params)
    return SyncFailure("SYSTEM_ERROR", f"Wix answered {exc.status} {exc.code} ({exc.message}) on {where}", params)
