"""`python -m orderflow.contracts.schemas export|check [--dir DIR]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orderflow.contracts.schemas import SCHEMA_DIR, check, export

_ADVICE = (
    "A published version never changes incompatibly: keep the field as it was "
    "or publish the change as a new version beside this one."
)


def main(argv: list[str] | None = None) -> int:
    """Run one command: exit 1 on problems, 2 without a schema directory."""
    arguments = _parser().parse_args(argv)
    if not arguments.dir.is_dir():
        print(f"no schema directory at {arguments.dir}; pass --dir", file=sys.stderr)
        return 2
    run = export if arguments.command == "export" else check
    problems = run(arguments.dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    if any("incompatible" in problem for problem in problems):
        print(_ADVICE, file=sys.stderr)
    return 1 if problems else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m orderflow.contracts.schemas",
        description="Write or check the committed JSON Schemas of the events.",
    )
    parser.add_argument("command", choices=("export", "check"))
    parser.add_argument(
        "--dir", type=Path, default=SCHEMA_DIR, help=f"default: {SCHEMA_DIR}"
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
