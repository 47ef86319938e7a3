"""The teachers' grading command on a batch of made-up submissions (tests/grading_batch/).

The expected CSV was written by hand from what each submission does.  Timeouts are short
(15 s per cell, 90 s per notebook; generous enough for a loaded CI machine to start a
kernel and import teachnn) so the whole batch takes about a minute on 2 cores.
"""
import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from teachnn.exercises import grade
from teachnn.exercises.core import Result

ROOT = Path(__file__).resolve().parent.parent
BATCH = ROOT / "tests" / "grading_batch"
COMPARED = ["learner", "status", "lesson00.q1", "lesson00.q2", "lesson00.q3", "lesson00.q4",
            "total", "max"]


def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Run the real command line once on the whole batch (2 workers)."""
    out = tmp_path_factory.mktemp("grades") / "grades.csv"
    notebooks = sorted(str(p) for p in BATCH.glob("*.ipynb"))
    proc = subprocess.run(
        [sys.executable, "-m", "teachnn.exercises.grade", *notebooks, "--out", str(out),
         "--workers", "2", "--cell-timeout", "15", "--timeout", "90"],
        cwd=ROOT, capture_output=True, text=True, timeout=420)
    assert proc.returncode == 0, proc.stderr
    return out, proc


def test_batch_gives_the_expected_csv(graded):
    out, _ = graded
    rows = _read_csv(out)
    got = sorted(({k: r[k] for k in COMPARED} for r in rows), key=lambda r: r["learner"])
    expected = sorted(_read_csv(BATCH / "expected_grades.csv"), key=lambda r: r["learner"])
    assert got == expected
    with open(out, encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
    assert header == ["learner", "notebook", "status", "lesson00.q1", "lesson00.q2",
                      "lesson00.q3", "lesson00.q4", "total", "max", "note"]


def test_start_page_shows_the_same_table_as_the_expected_csv():
    """Lesson 00's closing note for teachers shows this batch's grades: keep them in sync."""
    import nbformat
    nb = nbformat.read(str(ROOT / "lessons" / "00_start.ipynb"), as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "teachnn-grade" in text
    for row in _read_csv(BATCH / "expected_grades.csv"):
        assert "| " + " | ".join(row[k] for k in COMPARED) + " |" in text, row


def test_feedback_files_are_korean_and_never_reveal_hidden_cases(graded):
    out, _ = graded
    fb = out.with_name("grades_feedback")
    names = sorted(p.stem for p in fb.glob("*.txt"))
    assert names == sorted(r["learner"] for r in _read_csv(BATCH / "expected_grades.csv"))
    perfect = (fb / "perfect.txt").read_text(encoding="utf-8")
    assert perfect.count("정답입니다") == 4 and "점수: 4 / 4" in perfect
    partial = (fb / "partial.txt").read_text(encoding="utf-8")
    assert "순서가 바뀌었습니다" in partial          # the typical-mistake message for q2
    assert "공개되지 않은 추가 테스트" in partial    # q3 fails hidden cases only
    for hidden_input in ("1000", "0.25"):         # hidden inputs are never shown
        assert hidden_input not in partial
    assert "아직 풀지 않았습니다" in partial         # q4 untouched
    empty = (fb / "empty.txt").read_text(encoding="utf-8")
    assert empty.count("아직 풀지 않았습니다") == 4 and "다시 확인해 보세요" not in empty
    crash = (fb / "kernel_crash.txt").read_text(encoding="utf-8")
    assert "커널이 죽었습니다" in crash


def test_tampering_in_the_notebook_gains_nothing(graded):
    out, _ = graded
    row = next(r for r in _read_csv(out) if r["learner"] == "tamper")
    assert row["total"] == "0"
    text = out.with_name("grades_feedback").joinpath("tamper.txt").read_text(encoding="utf-8")
    assert "99" in text and "튜플(tuple)이 필요한데" in text


def test_rows_are_on_disk_as_soon_as_each_notebook_finishes(tmp_path):
    """An interrupted run keeps what was graded: each row is flushed before the next."""
    out = tmp_path / "g.csv"
    seen = []

    def log(message):
        learner = message.split(":")[0]
        on_disk = [r["learner"] for r in _read_csv(out)]
        assert learner in on_disk
        assert (tmp_path / "g_feedback" / f"{learner}.txt").exists()
        seen.append(len(on_disk))

    nbs = [BATCH / "perfect.ipynb", BATCH / "not_a_notebook.ipynb",
           tmp_path / "does_not_exist.ipynb"]
    rows = grade.grade_batch(nbs, out, workers=1, timeout=90, cell_timeout=30, log=log)
    assert seen == [1, 2, 3]
    status = {r["learner"]: r["status"] for r in rows}
    assert status == {"perfect": "ok", "not_a_notebook": "unreadable",
                      "does_not_exist": "unreadable"}


def test_whole_notebook_time_limit_kills_the_worker(tmp_path):
    """A loop that swallows the interrupt is stopped by the per-notebook limit."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook
    nb = new_notebook(cells=[new_code_cell("from teachnn.exercises.lesson00 import q1, ____"),
                             new_code_cell("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                           "while True:\n    pass")])
    path = tmp_path / "stubborn.ipynb"
    nbformat.write(nb, str(path))
    result = grade._run_worker_process(path, ["lesson00"], cell_timeout=3, total_timeout=12,
                                       kernel_name="python3")
    assert result["status"] == "timeout", result


def test_detect_lessons_and_learner_ids(tmp_path):
    assert grade.detect_lessons(BATCH / "perfect.ipynb") == ["lesson00"]
    assert grade.detect_lessons(BATCH / "not_a_notebook.ipynb") == []
    assert grade._learner_ids(["a/x.ipynb", "b/x.ipynb", "c/y.ipynb"]) == ["a__x", "b__x", "y"]


def test_grade_result_for_a_dead_notebook_marks_every_exercise_zero():
    status, results, notes = grade.grade_result({"status": "timeout", "detail": "over 5 s"},
                                                ["lesson00"])
    assert status == "timeout"
    assert sorted(results) == ["lesson00.q1", "lesson00.q2", "lesson00.q3", "lesson00.q4"]
    assert all(isinstance(r, Result) and not r.correct for r in results.values())
    assert "시간 제한" in notes[0]


def test_payload_is_json_and_forged_data_is_graded_by_the_grader():
    """The grader trusts only data: a forged 'correct' marker is just an unknown value."""
    forged = {"lesson00": {"q1": {"$o": ["Result", "정답입니다"]}, "q2": {"$t": [2, 3]},
                           "q3": {"results": "nonsense"}}}
    status, results, _ = grade.grade_result(
        {"status": "ok", "payload": json.loads(json.dumps(forged))}, ["lesson00"])
    assert not results["lesson00.q1"].correct
    assert results["lesson00.q2"].correct            # the data (2, 3) is the right answer
    assert not results["lesson00.q3"].correct
    assert results["lesson00.q4"].status == "unattempted"
    # lesson names inside the data are not trusted: only the grader's list is graded
    status, results, _ = grade.grade_result(
        {"status": "ok", "payload": {"grade": {}, "../../etc": {}, "lesson00": {}}}, ["lesson00"])
    assert sorted(results) == ["lesson00.q1", "lesson00.q2", "lesson00.q3", "lesson00.q4"]
    status, results, notes = grade.grade_result({"status": "ok", "payload": [1, 2]}, ["lesson00"])
    assert not any(r.correct for r in results.values())


def test_cli_rejects_unknown_lessons(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "teachnn.exercises.grade",
                           str(BATCH / "perfect.ipynb"), "--lessons", "lesson99",
                           "--out", str(tmp_path / "x.csv")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "lesson99" in proc.stderr


# ----------------------------------------------------------------------------------------
# The real lesson notebooks, solved with each exercise's reference solution, graded end to
# end: tensors, modules and gradients travel from the learner's kernel to the grader.
# ----------------------------------------------------------------------------------------
import importlib  # noqa: E402
import re  # noqa: E402

import nbformat  # noqa: E402

SOLVED_LESSONS = ["06_linear", "12_custom_function"]   # value, function (+grad), module, words


def solved_copy(lesson_path, out_dir):
    """The lesson with every exercise cell followed by its reference solution."""
    nb = nbformat.read(str(lesson_path), as_version=4)
    module = None
    for cell in nb.cells:
        m = re.search(r"from teachnn\.exercises\.(lesson\d+) import", cell.source)
        if cell.cell_type == "code" and m:
            module = importlib.import_module(f"teachnn.exercises.{m.group(1)}")
    assert module is not None
    solved = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for name in re.findall(r"\b(q\d+)\.check\(\)", cell.source):
            problem = getattr(module, name)
            body = cell.source.replace(f"{name}.check()", "")
            cell.source = f"{body}\n{problem.solution_text}\n{name}.check()"
            solved += 1
    assert solved == len(module.PROBLEMS)
    path = Path(out_dir) / f"solved_{lesson_path.stem}.ipynb"
    nbformat.write(nb, str(path))
    return path, module


def test_solved_lessons_get_full_marks(tmp_path):
    paths, maximum = [], 0
    for stem in SOLVED_LESSONS:
        path, module = solved_copy(ROOT / "lessons" / f"{stem}.ipynb", tmp_path)
        paths.append(path)
        maximum += len(module.PROBLEMS)
    out = tmp_path / "solved.csv"
    rows = grade.grade_batch(paths, out, workers=2, timeout=240, cell_timeout=120,
                             log=lambda m: None)
    assert len(rows) == len(SOLVED_LESSONS)
    for row in rows:
        assert row["status"] == "ok", row
        lesson = re.search(r"solved_(\d\d)_", row["learner"]).group(1)
        mine = {k: v for k, v in row.items() if k.startswith(f"lesson{lesson}.")}
        assert mine and all(v == 1 for v in mine.values()), row
        # (other lessons' columns may score too: lesson 08 and 12 both ask for `my_relu`)
        assert row["total"] >= len(mine)
    assert rows[0]["max"] == maximum


def test_all_three_ways_to_call_the_grader_show_the_same_help():
    import shutil
    script = shutil.which("teachnn-grade") or str(Path(sys.executable).parent / "teachnn-grade")
    outputs = []
    for cmd in ([sys.executable, "-m", "teachnn.exercises.grade", "--help"],
                [sys.executable, "-m", "teachnn.exercises", "--help"],
                [script, "--help"]):
        if not Path(cmd[0]).exists():
            pytest.fail(f"{cmd[0]} is missing: pip install -e . declares the teachnn-grade script")
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout.split("\n", 1)[1])     # drop the 'usage: prog' line
    assert outputs[0] == outputs[1] == outputs[2]
    assert "--out" in outputs[0] and "--cell-timeout" in outputs[0]
