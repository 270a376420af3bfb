"""`modelmaker init`: read argv once, then create a project folder from a template.

    modelmaker init myproject [--template image-classifier] [--force]
    modelmaker init --list
"""

import argparse
import os
import sys

from modelmaker.errors import ModelmakerError
from modelmaker.scaffold import DEFAULT_TEMPLATE, TEMPLATES, create

_DESCRIPTION = """Create a new modelmaker project folder from a template: a user module with the
four functions (mymodel.py), a parameters.json, a small sample dataset, a README and
a requirements.txt. The project trains as it is:

  modelmaker init myproject
  cd myproject
  python -m modelmaker.train --user_module mymodel

An existing folder is used only when it is empty (or with --force)."""


def build_parser(prog="modelmaker init"):
    """The argument parser of `modelmaker init`."""
    parser = argparse.ArgumentParser(prog=prog, description=_DESCRIPTION, allow_abbrev=False,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", nargs="?", metavar="DIR",
                        help="the project folder to create (it may exist if it is empty)")
    parser.add_argument("--template", "-t", default=DEFAULT_TEMPLATE, metavar="NAME",
                        help=f"the template to start from (default: {DEFAULT_TEMPLATE}); "
                             "see --list")
    parser.add_argument("--list", action="store_true",
                        help="list the templates with one line on each, and exit")
    parser.add_argument("--force", action="store_true",
                        help="write into a non-empty DIR, replacing files with the same names "
                             "as the template's (other files are left alone)")
    return parser


def list_text():
    """The text `modelmaker init --list` prints."""
    width = max(len(name) for name in TEMPLATES)
    lines = ["templates (modelmaker init DIR --template NAME):"]
    for name, text in TEMPLATES.items():
        mark = " (default)" if name == DEFAULT_TEMPLATE else ""
        lines.append(f"  {name:<{width}}  {text}{mark}")
    return "\n".join(lines) + "\n"


def main(argv=None, prog="modelmaker init"):
    """Runs `modelmaker init`; returns the exit code (0, or 2 for a user mistake)."""
    parser = build_parser(prog)
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as e:  # --help, or a malformed command line (argparse printed why)
        return e.code
    if args.list:
        print(list_text(), end="")
        return 0
    if not args.directory:
        parser.print_usage(sys.stderr)
        print(f"{prog}: error: give the project folder to create, e.g. `{prog} myproject` "
              f"(or --list to see the templates).", file=sys.stderr)
        return 2
    try:
        written = create(args.directory, template=args.template, force=args.force)
    except ModelmakerError as e:
        print(f"modelmaker: error: {e}", file=sys.stderr)
        return e.exit_code
    print(_summary(args.directory, args.template, written))
    return 0


def _summary(directory, template, written):
    top = sorted({os.path.relpath(p, os.path.abspath(directory)).split(os.sep)[0] for p in written})
    return (f"created {directory} from template {template!r} ({len(written)} files): "
            f"{', '.join(top)}\n"
            f"next:\n  cd {directory}\n  python -m modelmaker.train --user_module mymodel\n"
            f"then read {os.path.join(directory, 'README.md')} to use your own data.")


if __name__ == "__main__":
    sys.exit(main())
