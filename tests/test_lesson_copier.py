"""``python -m teachnn.lessons``: copies the course into a working folder, never overwrites a
learner's notebook, resets one lesson on request, and works from an installed wheel (whose
package data must carry every notebook)."""
import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from teachnn import lessons
from teachnn.lessons.__main__ import main

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p.name for p in (ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))


def _answer(path, text):
    """Write an answer into a notebook the way a learner's saved edit would."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "mine",
                        "metadata": {}, "outputs": [], "source": text})
    path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")


def test_copies_every_lesson_byte_for_byte(tmp_path, capsys):
    folder = tmp_path / "my lessons" / "nested"          # a space and missing parents
    assert main([str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == NOTEBOOKS
    for name in NOTEBOOKS:
        assert (folder / name).read_bytes() == (ROOT / "lessons" / name).read_bytes()
    assert "00_start.ipynb" in capsys.readouterr().out


def test_never_overwrites_and_copies_only_what_is_missing(tmp_path):
    report = lessons.copy_lessons(tmp_path)
    assert report.copied == NOTEBOOKS and report.kept == []
    _answer(tmp_path / "02_conv1d.ipynb", "x_shape = (4, 50, 12)")
    mine = (tmp_path / "02_conv1d.ipynb").read_bytes()
    (tmp_path / "07_pooling.ipynb").unlink()              # e.g. a lesson added by an update
    report = lessons.copy_lessons(tmp_path)
    assert report.copied == ["07_pooling.ipynb"]
    assert "02_conv1d.ipynb" in report.kept and len(report.kept) == len(NOTEBOOKS) - 1
    assert (tmp_path / "02_conv1d.ipynb").read_bytes() == mine


def test_reset_restores_the_original_and_keeps_the_learners_version(tmp_path):
    lessons.copy_lessons(tmp_path)
    original = (tmp_path / "02_conv1d.ipynb").read_bytes()
    _answer(tmp_path / "02_conv1d.ipynb", "x_shape = (1, 2, 3)")
    mine = (tmp_path / "02_conv1d.ipynb").read_bytes()
    assert main([str(tmp_path), "--reset", "2"]) == 0
    assert (tmp_path / "02_conv1d.ipynb").read_bytes() == original
    assert (tmp_path / "02_conv1d.backup-1.ipynb").read_bytes() == mine
    _answer(tmp_path / "02_conv1d.ipynb", "x_shape = (9, 9, 9)")
    report = lessons.copy_lessons(tmp_path, reset=["02"])    # a second reset: a second backup
    assert report.backups == ["02_conv1d.backup-2.ipynb"]
    assert (tmp_path / "02_conv1d.backup-1.ipynb").read_bytes() == mine
    assert (tmp_path / "03_conv2d.ipynb").read_bytes() == (ROOT / "lessons" / "03_conv2d.ipynb").read_bytes()


def test_an_unknown_option_copies_nothing(tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path / "course"), "--bogus"])
    assert exit_info.value.code == 2 and not (tmp_path / "course").exists()


def test_unknown_lesson_and_a_file_in_the_way_are_clear_errors(tmp_path, capsys):
    assert main([str(tmp_path), "--reset", "99"]) == 2
    assert "99" in capsys.readouterr().err
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    assert main([str(blocker)]) == 2
    assert "folder" in capsys.readouterr().err


def test_open_starts_jupyterlab_on_the_start_page_not_the_launcher(tmp_path):
    command = lessons.jupyter_command(tmp_path)
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={tmp_path.resolve()}" in command
    assert "--LabApp.default_url=/lab/tree/00_start.ipynb" in command


def test_a_wheel_carries_the_lessons_and_its_copier_uses_them(tmp_path):
    pip = [sys.executable, "-m", "pip"]
    isolation = [] if importlib.util.find_spec("setuptools") is None else ["--no-build-isolation"]
    subprocess.run(pip + ["wheel", "--no-deps", *isolation, "-q", "-w", str(tmp_path / "dist"),
                          str(ROOT)], check=True, capture_output=True, timeout=600)
    (wheel,) = (tmp_path / "dist").glob("teachnn-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        packed = sorted(Path(n).name for n in zf.namelist()
                        if n.startswith("teachnn/lessons/notebooks/"))
    assert packed == NOTEBOOKS

    site = tmp_path / "site"
    subprocess.run(pip + ["install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    # run from an empty folder with only the installed copy of teachnn importable
    env = dict(os.environ, PYTHONPATH=str(site))
    work = tmp_path / "work"
    work.mkdir()
    probe = subprocess.run([sys.executable, "-c",
                            "import teachnn.lessons as L; print(L.source_dir())"],
                           cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert probe.returncode == 0, probe.stderr
    assert Path(probe.stdout.strip()) == (site / "teachnn" / "lessons" / "notebooks").resolve()
    run = subprocess.run([sys.executable, "-m", "teachnn.lessons", "course"], cwd=work, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in (work / "course").iterdir()) == NOTEBOOKS
