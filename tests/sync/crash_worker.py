"""A sync worker that dies abruptly (os._exit, like kill -9) in the middle of its writes.

python -m tests.sync.crash_worker '<settings json>' <configuration pk> <calls before dying | endpoint>

A number dies once that many Wix calls were made while writing; an endpoint name (e.g.
`bulkUpdateMenu`, the Menus API's show step) dies just before the first call to it.
"""

from __future__ import annotations

import json
import os
import sys

from posbridge.config import load_settings
from posbridge.store.db import Database
from posbridge.sync.runner import Progress, run_sync
from posbridge.wix.client import WixClient


def main() -> None:
    """Run one sync and exit with status 9 in the middle of its writes."""
    settings = load_settings(**json.loads(sys.argv[1]))
    configuration_pk, where = int(sys.argv[2]), sys.argv[3]
    db = Database(settings.database_url)

    def progress(event: Progress) -> None:
        if event.phase != "write":
            return
        if event.message == where if not where.isdigit() else event.done >= int(where):
            os._exit(9)  # no cleanup, no draft discard, no status written

    run_sync(db, settings, configuration_pk, client=WixClient(settings, db), progress=progress)
    os._exit(0)


if __name__ == "__main__":
    main()
