"""Shared fixtures: a real database per backend (SQLite and PostgreSQL), a Wix signer, a real server."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from posbridge.app import create_app
from posbridge.config import Settings, load_settings
from posbridge.logs import configure_logging
from posbridge.store import migrate
from posbridge.store.db import Database
from tests.support.databases import all_backends_forced, database_url, default_backend, enabled_backends
from tests.support.scheduling import deal_slow_first
from tests.support.server import serve_in_thread
from tests.support.signer import TestSigner

if TYPE_CHECKING:
    from xdist.workermanage import WorkerController

# wixsim's fixtures (a real emulator server on a free port) for every test that asks for them.
pytest_plugins = ["wixsim.testing"]

# Every property test runs the same examples on every machine and every run: no example database
# (`.hypothesis/` would replay one machine's finds and make runs differ) and a derandomized search.
# A failing example is fixed and kept as a regression test, never retried away. To hunt for new
# failures locally: `pytest --hypothesis-profile=explore` (random, more examples, still no database).
_PROPERTY_HEALTH = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]
hypothesis_settings.register_profile(
    "posbridge", database=None, derandomize=True, deadline=None, suppress_health_check=_PROPERTY_HEALTH
)
hypothesis_settings.register_profile(
    "explore", database=None, derandomize=False, deadline=None, suppress_health_check=_PROPERTY_HEALTH
)
hypothesis_settings.load_profile("posbridge")

# A full collection is considered once per this many middle ones (Python: 10); see pytest_collection_finish.
FULL_COLLECTION_EVERY = 50
APP_ID = "8f0c1c2e-app-posbridge-tests"
APP_SECRET = "test-app-secret-0123456789"
ADMIN_TOKEN = "test-operator-token"


@pytest.fixture(autouse=True)
def json_logs() -> None:
    """Every test starts with the logging the test app configures: JSON lines at WARNING, on this test's stderr.

    structlog's configuration is process-wide and kept between tests: without this, a test saw whatever the
    worker's earlier tests left (an app's JSON, a CLI command's level) or, first in its worker, structlog's
    default console renderer, whose rich traceback of a logged exception (every frame's locals) took 15-20 s
    of CPU for one crashed sync.
    """
    configure_logging("WARNING", json=True)


@pytest.fixture(scope="session")
def signer() -> TestSigner:
    """Wix's signing key, as far as posbridge can tell."""
    return TestSigner(app_id=APP_ID)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: WorkerController) -> None:
    """Tell each xdist worker the controller's `--dist` mode (xdist sets a worker's own to "no")."""
    node.workerinput["posbridge_dist"] = node.config.getoption("dist")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slow tests first: at the head of every worker's opening block under `--dist worksteal`.

    A 20 s journey collected last would run alone at the end of the run. worksteal first hands each
    worker one consecutive block of the collection and later steals from the ends of blocks; with the
    slow tests simply sorted first they all fell in the first worker's block, which ran them one after
    another. So on a worksteal worker the slow tests are dealt round-robin to the heads of the blocks
    (tests/support/scheduling.py) and each worker starts on its share at once. Elsewhere (one process,
    other `--dist` modes) they are only moved to the front, each group in its usual order.

    The order depends on the collection and the worker count alone, so every worker collects the same,
    as xdist requires; trylast, so that it sees the collection after deselection (-k, -m, --deselect).
    """
    slow = {item.nodeid for item in items if item.get_closest_marker("slow") is not None}
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and workerinput.get("posbridge_dist") == "worksteal":
        items[:] = deal_slow_first(items, lambda item: item.nodeid in slow, int(workerinput["workercount"]))
    else:
        items.sort(key=lambda item: item.nodeid not in slow)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Fewer full garbage collections, in the test processes only.

    A worker's heap holds what its session fixtures built (servers, wixsim's catalogs of thousands of
    entities, the libraries' caches), 400-500 MB by the end, and Python's full collection walked all of
    it every ten middle ones: about 42 full passes and 7.5 s of CPU per worker in a run on 2 cores
    (measured with gc.callbacks). Considered every fifty, they are about 24 (Python also waits until a
    quarter of the old heap is new) and 5.7 s. Garbage in cycles is still freed, a little later.
    """
    young, middle, _full = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every enabled backend for tests marked `all_backends`; the default backend for the rest.

    An HTTP, parsing or queue test asks the same of SQLite as of PostgreSQL, so running it twice only
    costs time. POSBRIDGE_TEST_ALL_BACKENDS=1 runs every test on every backend anyway.
    """
    if "backend" not in metafunc.fixturenames:
        return
    every = metafunc.definition.get_closest_marker("all_backends") is not None or all_backends_forced()
    backends = enabled_backends() if every else [default_backend()]
    metafunc.parametrize("backend", backends, indirect=True, scope="session")


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend this test runs on."""
    return str(request.param)


@pytest.fixture(scope="session")
def db_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database on the backend, for the session."""
    with database_url(backend, tmp_path_factory.mktemp(backend)) as url:
        yield url


def make_settings(url: str, signer: TestSigner, **overrides: Any) -> Settings:
    """Settings for tests: this database, this signer's key, a test Wix base."""
    values: dict[str, Any] = {
        "database_url": url,
        "wix_app_id": signer.app_id,
        "wix_app_secret": APP_SECRET,
        "wix_public_key": signer.public_pem,
        "secret_key": "test-secret-key-0123456789abcdef",
        "admin_token": ADMIN_TOKEN,
        "wix_api_base": "http://127.0.0.1:9",
        # That Wix refuses every connection: a test that reaches it by the way (an 86 pushed, an order's
        # status sent) makes every attempt still, without backing off for seconds between them.
        "wix_retry_base_seconds": 0.01,
        "queue": "immediate",
        "run_worker": False,
        "log_json": True,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture(scope="session")
def settings(db_url: str, signer: TestSigner) -> Settings:
    """Settings for the session's database."""
    return make_settings(db_url, signer)


@pytest.fixture(scope="session")
def db(settings: Settings) -> Iterator[Database]:
    """The session's database, migrated to head."""
    database = Database(settings.database_url)
    migrate.upgrade(database)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def server_url(settings: Settings, db: Database) -> Iterator[str]:
    """posbridge served over real HTTP on a free port."""
    with serve_in_thread(create_app(settings, db)) as url:
        yield url


@pytest.fixture()
def http(server_url: str) -> Iterator[httpx.Client]:
    """An HTTP client aimed at the running posbridge."""
    with httpx.Client(base_url=server_url, timeout=30) as client:
        yield client


@pytest.fixture()
def instance_id() -> str:
    """A fresh Wix instance id, so every test is its own tenant."""
    return str(uuid.uuid4())


@pytest.fixture()
def admin_headers() -> dict[str, str]:
    """Headers that pass the operator-token guard of the admin API."""
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout's top folder."""
    return Path(__file__).resolve().parent.parent
