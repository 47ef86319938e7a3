"""``python -m teachnn.lessons [FOLDER] [--reset NN ...] [--open]``: see teachnn/lessons/__init__.py."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys

from teachnn.lessons import DEFAULT_FOLDER, copy_lessons, jupyter_command


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m teachnn.lessons",
        description="Copy the teachnn lessons into a working folder (never overwriting your "
                    "answers) and optionally open them in JupyterLab. "
                    "강의 노트북을 작업 폴더로 복사합니다 (이미 있는 파일은 덮어쓰지 않습니다).",
        epilog="With --open, any other option (e.g. --port=8889, --no-browser) is passed to JupyterLab.")
    parser.add_argument("folder", nargs="?", default=str(DEFAULT_FOLDER),
                        help=f"working folder (default: {DEFAULT_FOLDER})")
    parser.add_argument("--reset", action="append", default=[], metavar="NN",
                        help="restore lesson NN to its original; your version is kept as "
                             "NN_name.backup-K.ipynb (repeatable)")
    parser.add_argument("--open", action="store_true",
                        help="then start JupyterLab there on 00_start.ipynb")
    args, jupyter_args = parser.parse_known_args(argv)
    if jupyter_args and not args.open:
        parser.error(f"unrecognized arguments: {' '.join(jupyter_args)}")
    try:
        report = copy_lessons(args.folder, reset=args.reset)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.text())
    if not args.open:
        return 0
    command = jupyter_command(report.folder) + jupyter_args
    sys.stdout.flush()
    if os.name == "posix":           # become JupyterLab: Ctrl+C and a closed terminal reach it
        os.execv(command[0], command)
    try:                             # Windows has no real exec: wait for the child instead
        return subprocess.call(command)
    except KeyboardInterrupt:        # Ctrl+C stops JupyterLab; no traceback for the learner
        return 0


if __name__ == "__main__":
    sys.exit(main())
