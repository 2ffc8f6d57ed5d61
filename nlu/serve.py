"""`python -m nlu.serve run …`: Rasa with its auth token from RASA_TOKEN.

`rasa run --auth-token TOKEN` puts the token on the command line, where anyone on the
machine reads it with `ps`. This reads it from the environment and hands it to Rasa's
own command line parser inside the process, so /proc/PID/cmdline never holds it.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Runs `rasa` with the given arguments plus the token."""
    token = os.environ.get("RASA_TOKEN", "")
    if not token:
        sys.exit("RASA_TOKEN is not set: Rasa's HTTP API must not run without a token")
    sys.argv = ["rasa", *sys.argv[1:], "--auth-token", token]
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
