"""`python -m modelmaker.train`: the training command (see `modelmaker.commands.train`)."""

import sys

from modelmaker.commands.train import main

if __name__ == "__main__":
    sys.exit(main())
