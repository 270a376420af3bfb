"""`modelmaker <verb>` / `python -m modelmaker.cli`: the verb table (see `modelmaker.commands.cli`)."""

import sys

from modelmaker.commands.cli import VERBS, main  # noqa: F401 (the verb table, for tools)

if __name__ == "__main__":
    sys.exit(main())
