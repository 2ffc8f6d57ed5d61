"""Init container of every pod that uses the database: waits until the schema is this
release's newest, which the migration Job (deploy/base/migrate-job.yaml) brings it to.

A pod of a new release therefore never serves on the old schema: while the Job runs, the
new pods wait here and the old ones keep serving. A database *newer* than this release
(a `kubectl rollout undo` past a migration) is an error at once, with what to do: the old
code would fail on it later and less clearly (docs/deploy.md, "Rolling back").
"""

from __future__ import annotations

import sys
import time

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.db import alembic_config, make_engine

POLL_S = 3.0


def schema_state(url: str) -> tuple[str, str]:
    """("current" | "behind" | "ahead" | "unreachable", a line for the pod's log)."""
    scripts = ScriptDirectory.from_config(alembic_config(url))
    head = scripts.get_current_head()
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as error:
        return "unreachable", f"database unreachable ({type(error).__name__}), retrying"
    finally:
        engine.dispose()
    if revision == head:
        return "current", f"schema at {head}, this release's newest"
    if revision is not None:
        try:
            scripts.get_revision(revision)
        except CommandError:
            return "ahead", (
                f"the database is at revision {revision}, newer than this release's {head}: "
                "undo the migration with the newer release first, or roll forward "
                "(docs/deploy.md, 'Rolling back')"
            )
    return "behind", f"schema at {revision or 'nothing'}, waiting for the migration Job ({head})"


def main() -> int:
    """Returns 0 once the schema is current, 1 if the database is ahead of this release."""
    url = Settings().database_url
    said = ""
    while True:
        state, line = schema_state(url)
        if line != said:
            print(line, flush=True)
            said = line
        if state == "current":
            return 0
        if state == "ahead":
            return 1
        time.sleep(POLL_S)


if __name__ == "__main__":
    sys.exit(main())
