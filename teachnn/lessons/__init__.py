"""The course's notebooks, and the command that copies them into a learner's working folder.

    python -m teachnn.lessons ~/teachnn-lessons          # copy (never overwrites a notebook)
    python -m teachnn.lessons ~/teachnn-lessons --open   # copy, then open 00_start in JupyterLab
    python -m teachnn.lessons ~/teachnn-lessons --reset 02   # lesson 02 back to its original

A learner answers in the copies, so a course update never touches their answers: running the
command again copies only lessons that are new. ``--reset NN`` keeps the learner's version as
``NN_name.backup-K.ipynb`` before restoring the original. Paths are pathlib paths throughout,
so the same command works in a POSIX shell and in Windows PowerShell.
"""
from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

START_PAGE = "00_start.ipynb"
DEFAULT_FOLDER = Path("~") / "teachnn-lessons"
_PATTERN = "[0-9][0-9]_*.ipynb"


def source_dir() -> Path:
    """Where the original notebooks are: inside an installed wheel (``notebooks/`` beside this
    file) or, in a checkout or editable install, the repository's ``lessons/`` folder."""
    packaged = Path(__file__).resolve().parent / "notebooks"
    if any(packaged.glob(_PATTERN)):
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "lessons"
    if any(checkout.glob(_PATTERN)):
        return checkout
    raise FileNotFoundError(
        "강의 노트북을 찾을 수 없습니다 (the lesson notebooks are missing from this install): "
        f"{packaged} 도 {checkout} 도 비어 있습니다. teachnn을 다시 설치해 보세요.")


def originals() -> list[Path]:
    """The original notebooks, in lesson order."""
    return sorted(source_dir().glob(_PATTERN))


@dataclass
class CopyReport:
    folder: Path
    copied: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)       # the learner's own copy, untouched
    backups: list[str] = field(default_factory=list)    # written by a reset

    def text(self) -> str:
        lines = [f"강의 폴더 (lessons folder): {self.folder}"]
        if self.copied:
            lines.append(f"  복사함 (copied): {', '.join(self.copied)}")
        if self.kept:
            lines.append(f"  이미 있어 그대로 둔 노트북 {len(self.kept)}개 "
                         f"(kept {len(self.kept)} notebooks you already have)")
            lines.append("  처음 상태로 되돌리려면 (to restore one): --reset 번호, 예: --reset 02")
        if self.backups:
            lines.append(f"  이전 파일 보관 (your previous version): {', '.join(self.backups)}")
        return "\n".join(lines)


def _lesson(number: str) -> Path:
    number = str(number).strip()
    if number.isdigit():
        number = f"{int(number):02d}"
    matches = [p for p in originals() if p.name.startswith(number + "_")]
    if not matches:
        known = ", ".join(p.name[:2] for p in originals())
        raise ValueError(f"강의 번호 {number!r}이(가) 없습니다 (no lesson {number!r}); "
                         f"있는 번호 (lessons): {known}")
    return matches[0]


def _backup_name(folder: Path, name: str) -> Path:
    stem = name[:-len(".ipynb")]
    k = 1
    while (folder / f"{stem}.backup-{k}.ipynb").exists():
        k += 1
    return folder / f"{stem}.backup-{k}.ipynb"


def copy_lessons(folder, reset=()) -> CopyReport:
    """Copy every original notebook that ``folder`` lacks; never overwrite one that is there.

    ``reset`` names lessons ("02", 2) to restore: the learner's copy is renamed to
    ``NN_name.backup-K.ipynb`` first, then the original is copied in its place.
    """
    folder = Path(folder).expanduser()
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"{folder} 는 폴더가 아닙니다 (is not a folder)")
    folder.mkdir(parents=True, exist_ok=True)
    report = CopyReport(folder.resolve())
    to_reset = {_lesson(n).name for n in reset}
    for original in originals():
        target = folder / original.name
        if target.exists() and original.name in to_reset:
            backup = _backup_name(folder, original.name)
            target.rename(backup)
            report.backups.append(backup.name)
        if target.exists():
            report.kept.append(original.name)
            continue
        shutil.copyfile(original, target)
        report.copied.append(original.name)
    return report


def jupyter_command(folder) -> list[str]:
    """JupyterLab serving ``folder``, whose printed and opened address is the start page
    (not the Launcher)."""
    folder = Path(folder).expanduser().resolve()
    return [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}",
            f"--LabApp.default_url=/lab/tree/{START_PAGE}"]
