"""Every lesson notebook (lessons/*.ipynb) runs top to bottom in a fresh kernel.

With the placeholders untouched, no cell raises and every ``check()`` reads
"아직 풀지 않았습니다" (not attempted) -- never "다시 확인해 보세요" or "정답입니다".
One test per notebook, so ``pytest -n 2`` spreads them over both cores.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "lessons"
BUILDER = ROOT / "tools" / "lessons" / "build.py"
NOTES = "스터디 노트 『PyTorch 공부 0 - torch.nn (1)』(thon, 2024-07-22)"
NOTEBOOKS = sorted(LESSONS.glob("[0-9][0-9]_*.ipynb"))
CHECK_CALL = re.compile(r"\bq\d+\.check\(\)")
CELL_TIMEOUT = 120          # seconds per cell; no wall-clock assertion (tests stay deterministic:
                            # run with --durations=15 to see each lesson's time)

EXPECTED_LESSONS = ["00_start", "01_module", "02_conv1d", "03_conv2d", "04_conv3d",
                    "05_conv_transpose", "06_linear", "07_pooling", "08_activations",
                    "09_losses", "10_containers", "11_custom_forward_cnn",
                    "12_custom_function", "13_fast_conv", "14_batchnorm_dropout"]


def _text_of(output):
    if output.get("output_type") == "stream":
        return output.get("text", "")
    if output.get("output_type") in ("display_data", "execute_result"):
        return output.get("data", {}).get("text/plain", "")
    if output.get("output_type") == "error":
        return f"{output.get('ename')}: {output.get('evalue')}"
    return ""


def test_every_lesson_is_present():
    stems = [p.stem for p in NOTEBOOKS]
    assert stems == EXPECTED_LESSONS
    assert len({s[:2] for s in stems}) == len(stems)         # one notebook per number


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_lesson_says_what_it_uses_asks_to_predict_and_links_the_next(path):
    nb = nbformat.read(str(path), as_version=4)
    assert "**이 강의에서 쓰는 것**" in nb.cells[0].source
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert any(m.startswith("**예측해 보세요.**") for m in markdown), path.name
    links = [m for m in markdown if m.startswith("**다음 강의:**")]
    assert len(links) == 1, path.name
    for target in re.findall(r"\]\(([^)]+\.ipynb)\)", links[0]):
        assert (LESSONS / target).is_file() or target[:2] in OPTIONAL_NUMBERS, target


def test_every_notebook_is_what_the_one_builder_writes(tmp_path):
    # the builder runs as a learner-independent script: fresh interpreter, its own folder
    subprocess.run([sys.executable, str(BUILDER), "--out", str(tmp_path)], check=True,
                   cwd=ROOT, capture_output=True, timeout=120)
    generated = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    assert generated == [p.name for p in NOTEBOOKS]
    for path in NOTEBOOKS:
        assert (tmp_path / path.name).read_text(encoding="utf-8") == \
            path.read_text(encoding="utf-8"), f"{path.name} differs from tools/lessons; rerun build.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_lesson_has_the_one_template_and_attribution(path):
    nb = nbformat.read(str(path), as_version=4)
    first = nb.cells[0].source
    assert first.startswith(f"# {path.stem[:2]}. ") and "**이번 강의의 목표**" in first
    assert f"> 바탕: {NOTES} — " in first or f"> 보충 강의: {NOTES}에는 없는 내용입니다." in first
    text = "\n".join(c.source for c in nb.cells)
    # a learner with the installed package has neither the notes' file nor the repository's tests
    for unshipped in ("notes/", "tests/", "benchmarks/", "tools/"):
        assert unshipped not in text, f"{path.name} cites {unshipped}, which is not shipped"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_lesson_is_stored_clean(path):
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, \
                f"{path.name}: commit notebooks with outputs cleared"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_lesson_runs_and_every_check_reads_not_attempted(path):
    nb = nbformat.read(str(path), as_version=4)
    env = dict(os.environ, MPLBACKEND="module://matplotlib_inline.backend_inline")
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(LESSONS)}})
    try:
        client.execute(env=env)
    except Exception as exc:           # CellExecutionError names the cell and the traceback
        pytest.fail(f"{path.name} failed to run top to bottom:\n{str(exc)[:3000]}")

    check_cells = [c for c in nb.cells if c.cell_type == "code" and CHECK_CALL.search(c.source)]
    assert len(check_cells) >= 3, f"{path.name}: a lesson needs 3 or more autograded exercises"
    for cell in check_cells:
        text = "\n".join(_text_of(o) for o in cell.outputs)
        n_checks = len(CHECK_CALL.findall(cell.source))
        assert text.count("아직 풀지 않았습니다") == n_checks, (path.name, cell.source, text)
        assert "다시 확인해 보세요" not in text and "정답입니다" not in text, (path.name, text)
        html = [o for o in cell.outputs if "text/html" in o.get("data", {})]
        assert len(html) == n_checks, f"{path.name}: check() should render HTML in Jupyter"
        assert "아직 풀지 않았습니다" in html[0]["data"]["text/html"]
    for cell in nb.cells:
        if cell.cell_type == "code":
            for out in cell.outputs:
                assert out.get("output_type") != "error", (path.name, cell.source, _text_of(out))
