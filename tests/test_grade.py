"""The teachers' grading command on a batch of made-up submissions (tests/grading_batch/).

The expected CSVs were written by hand from what each submission does:
``expected_grades.csv`` (honest and broken notebooks; lesson 00 shows it as a table) and
``expected_hostile.csv`` (notebooks that attack the grade, plus the names a repository
should not hold, made here).  The batch runs once, through the real command line, in the
bubblewrap sandbox, two notebooks at a time, with small limits (15 s a cell, 60 s a
notebook, 1 GB of address space) so that it takes one to two minutes on 2 cores.
"""
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from teachnn.exercises import _collector, _sandbox, grade
from teachnn.exercises.core import Result

ROOT = Path(__file__).resolve().parent.parent
BATCH = ROOT / "tests" / "grading_batch"
sys.path.insert(0, str(BATCH))
from make_batch import SURVIVOR_MARK  # noqa: E402

COMPARED = ["learner", "status", "lesson00.q1", "lesson00.q2", "lesson00.q3", "lesson00.q4",
            "written", "total", "max"]
LONG = "학생" * 40                     # 240 bytes in UTF-8: with a folder prefix, > 255
EUC_KR = "김철수".encode("cp949") + b".ipynb"
TIME_LIMIT = 60


def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def expected_rows(*names):
    """The hand-written rows. Lesson 00 q4 is free text: never a point, counted in ``written``
    and left out of ``max`` (the teacher reads it in <out>_answers.csv)."""
    rows = [r for n in names for r in _read_csv(BATCH / n)]
    return sorted(rows, key=lambda r: r["learner"])


def survivors(*needles):
    """Live processes (not zombies) whose command line holds one of ``needles``."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and any(n.encode() in cmd for n in needles):
            found.append((pid, cmd[:120]))
    return found


def _snapshot(folder):
    return {p: p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


needs_bwrap = pytest.mark.skipif(not _sandbox.bwrap_works(),
                                 reason="bubblewrap is missing or cannot create namespaces "
                                        "(.ci/run installs it)")


def _run_batch(base):
    """Run the real command line once on the whole batch (2 workers, the sandbox)."""
    subs = base / "submissions"
    subs.mkdir()
    notebooks = [str(p) for p in sorted(BATCH.glob("*.ipynb"))]
    for folder, source in (("a", "partial"), ("b", "perfect")):   # same long name twice
        (subs / folder).mkdir()
        shutil.copy(BATCH / f"{source}.ipynb", subs / folder / f"{LONG}.ipynb")
        notebooks.append(str(subs / folder / f"{LONG}.ipynb"))
    euc = os.path.join(os.fsencode(subs), EUC_KR)                 # a name from a Windows zip
    shutil.copy(BATCH / "perfect.ipynb", euc)
    notebooks.append(os.fsdecode(euc))
    out = base / "out" / "grades.csv"
    # the sandboxes' run folders, to find their processes in /proc (a short path: the
    # kernels' Unix sockets live there)
    tmpdir = Path(tempfile.mkdtemp(prefix="tgb-", dir="/tmp"))
    env = dict(os.environ, TMPDIR=str(tmpdir), PYTHONPATH=str(ROOT))
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "teachnn.exercises.grade", *notebooks, "--out", str(out),
         "--workers", "2", "--cell-timeout", "15", "--timeout", str(TIME_LIMIT),
         "--memory-mb", "1024", "--lessons", "lesson00", "--seed", "7", "--sandbox", "bwrap"],
        cwd=base, capture_output=True, text=True, timeout=600, env=env)
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr
    return {"out": str(out), "elapsed": elapsed, "tmpdir": str(tmpdir), "count": len(notebooks),
            "after": {str(p): b.hex() for p, b in _snapshot(out.parent).items()}}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The batch's results, run once per test run even when pytest-xdist spreads these
    tests over several processes (the first one runs it, the others wait and read)."""
    import fcntl
    if not _sandbox.bwrap_works():
        pytest.fail("bubblewrap is needed to run hostile notebooks: apt-get install bubblewrap")
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent / ("grading-batch-" + os.environ.get("PYTEST_XDIST_TESTRUNUID", "x"))
        shared.mkdir(exist_ok=True)
    record = shared / "batch.json"
    with open(shared / "batch.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            base = shared / "batch"
            base.mkdir()
            record.write_text(json.dumps(_run_batch(base)), encoding="utf-8")
    data = json.loads(record.read_text(encoding="utf-8"))
    data["out"], data["tmpdir"] = Path(data["out"]), Path(data["tmpdir"])
    data["after"] = {Path(p): bytes.fromhex(h) for p, h in data["after"].items()}
    return data


def test_batch_gives_the_expected_csv(graded):
    out = graded["out"]
    rows = _read_csv(out)
    assert len(rows) == graded["count"]              # one row per submission, whatever it did
    got = sorted(({k: r[k] for k in COMPARED} for r in rows),
                 key=lambda r: r["learner"])
    assert got == expected_rows("expected_grades.csv", "expected_hostile.csv")
    with open(out, encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
    assert header == ["learner", "notebook", "status", "lesson00.q1", "lesson00.q2",
                      "lesson00.q3", "lesson00.q4", "written", "total", "max", "note"]
    # the free-text answers, for the teacher to read beside the model answer
    answers = _read_csv(out.with_name("grades_answers.csv"))
    written = sorted(r["learner"] for r in rows for _ in range(int(r["written"])))
    assert sorted(a["learner"] for a in answers) == written
    assert out.with_name("grades_answers.csv").read_text(encoding="utf-8").splitlines()[0] \
        == "learner,exercise,text,model_answer"
    from teachnn.exercises import lesson00
    assert all(a["exercise"] == "lesson00.q4" and a["model_answer"] == lesson00.q4.model_answer
               for a in answers)


def test_start_page_shows_the_same_table_as_the_expected_csv():
    """Lesson 00's closing note for teachers shows the honest batch's grades: keep in sync."""
    import nbformat
    nb = nbformat.read(str(ROOT / "lessons" / "00_start.ipynb"), as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "teachnn-grade" in text
    for row in _read_csv(BATCH / "expected_grades.csv"):
        assert "| " + " | ".join(row[k] for k in COMPARED) + " |" in text, row


def test_nothing_survives_and_nothing_is_rewritten_afterwards(graded):
    """The detached rewriter would rewrite every CSV each second, had it survived."""
    assert survivors(SURVIVOR_MARK, str(graded["tmpdir"])) == []
    time.sleep(3)
    assert _snapshot(graded["out"].parent) == graded["after"]
    assert list(graded["tmpdir"].iterdir()) == []                 # run folders removed
    graded["tmpdir"].rmdir()
    text = graded["out"].read_text(encoding="utf-8")
    assert "EVERYONE" not in text and "me,100" not in text
    assert "EVERYONE" not in "".join(b.decode("utf-8", "replace") for b in graded["after"].values())


def test_the_batch_ends_in_bounded_time(graded):
    # 22 notebooks, two at a time, one of them killed at the 60 s limit (75-185 s here)
    assert graded["elapsed"] < 360, graded["elapsed"]


def test_limits_hold(graded):
    fb = graded["out"].with_name("grades_feedback")
    hog = (fb / "memory_hog.txt").read_text(encoding="utf-8")
    assert "MemoryError" in hog and "점수: 1 / " in hog
    gil = next(r for r in _read_csv(graded["out"]) if r["learner"] == "gil_loop")
    assert gil["status"] == "timeout" and f"over {TIME_LIMIT} s" in \
        (fb / "gil_loop.txt").read_text(encoding="utf-8")


def test_feedback_files_are_korean_and_never_reveal_hidden_cases(graded):
    fb = graded["out"].with_name("grades_feedback")
    perfect = (fb / "perfect.txt").read_text(encoding="utf-8")
    assert perfect.count("[O]") == 3          # q4 is free text: shown, never "[O]"
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
    odd = (fb / "numeric_source.txt").read_text(encoding="utf-8")
    assert "셀 2: 코드가 문자열이 아니어서 건너뜀" in odd and "셀 5: 알 수 없는 셀 종류" in odd


def test_names_that_are_not_utf8_long_or_colliding_get_their_own_rows_and_files(graded):
    rows = {r["learner"]: r for r in _read_csv(graded["out"])}
    assert rows["김철수"]["notebook"].endswith("김철수.ipynb")
    names = [p.name for p in graded["out"].with_name("grades_feedback").iterdir()]
    assert len(names) == len(set(names)) == graded["count"]
    assert all(len(n.encode()) < 255 for n in names)
    longs = [n for n in names if n.startswith(("a__학생", "b__학생"))]
    assert len(longs) == 2 and len({n[:3] for n in longs}) == 2
    assert "김철수.txt" in names


def test_tampering_in_the_notebook_gains_nothing(graded):
    rows = {r["learner"]: r for r in _read_csv(graded["out"])}
    for learner in ("tamper", "patch_import", "proc_fd_forge"):
        assert rows[learner]["total"] == "0", rows[learner]
    text = graded["out"].with_name("grades_feedback").joinpath("tamper.txt").read_text(encoding="utf-8")
    assert "99" in text and "튜플(tuple)이 필요한데" in text


def test_written_answers_count_apart_and_go_to_the_answers_file(tmp_path, monkeypatch):
    """A "written" result (free text, left to the teacher) is never a point: it is counted
    in ``written``, left out of ``max``, and its text goes to <out>_answers.csv."""
    from teachnn.exercises import lesson00

    def fake_grade(worker_result, lessons, seed=None):
        results = {p.qualname: Result("correct") for p in lesson00.PROBLEMS}
        results["lesson00.q4"] = Result("written", answer_text="import 줄만 바꾼다")
        return "ok", results, []

    monkeypatch.setattr(grade, "grade_result", fake_grade)
    monkeypatch.setattr(grade, "_counts_as_points", lambda p: p.var != "what_changes")
    monkeypatch.setattr(grade._Runner, "run", lambda self, job, timeout: {"status": "ok"})
    out = tmp_path / "g.csv"
    (row,) = grade.grade_batch([BATCH / "perfect.ipynb"], out, sandbox="none",
                               log=lambda m: None)
    assert (row["lesson00.q4"], row["written"], row["total"], row["max"]) == (0, 1, 3, 3)
    assert _read_csv(tmp_path / "g_answers.csv") == [
        {"learner": "perfect", "exercise": "lesson00.q4", "text": "import 줄만 바꾼다",
         "model_answer": lesson00.q4.model_answer}]


def test_lessons_come_from_the_notebook_itself_not_from_comments_or_others(tmp_path):
    """Without --lessons: each row's lesson is its own first import; comments add nothing."""
    imports = grade.notebook_lesson
    assert imports(["# from teachnn.exercises.lesson06 import q1\n'teachnn.exercises.lesson09'",
                    "from teachnn.exercises.lesson00 import q1  # lesson12"], {}) == "lesson00"
    assert imports(["%matplotlib inline\nimport teachnn.exercises.lesson08 as ex"], {}) == "lesson08"
    assert imports(["x = (\nfrom teachnn.exercises.lesson03 import q1"], {}) == "lesson03"
    assert imports(["from teachnn.exercises import lesson07"], {}) == "lesson07"
    assert imports(["import teachnn.exercises.lesson99"], {}) is None        # no such lesson
    assert imports(["from teachnn.exercises.lesson06 import q1"],
                   {"teachnn": {"lesson": "lesson02"}}) == "lesson02"        # metadata first
    out = tmp_path / "g.csv"
    rows = grade.grade_batch([BATCH / "comment_other_lesson.ipynb", BATCH / "not_a_notebook.ipynb"],
                             out, workers=2, timeout=90, cell_timeout=30, log=lambda m: None,
                             limits=_sandbox.Limits(memory_mb=1024))
    header = list(_read_csv(out)[0])
    assert header == ["learner", "notebook", "status", "lesson00.q1", "lesson00.q2",
                      "lesson00.q3", "lesson00.q4", "written", "total", "max", "note"]
    by = {r["learner"]: r for r in rows}
    assert by["comment_other_lesson"]["total"] == 2 and by["not_a_notebook"]["max"] == 0
    assert by["not_a_notebook"]["status"] == "unreadable"


def test_rows_are_on_disk_as_soon_as_each_notebook_finishes(tmp_path):
    """An interrupted run keeps what was graded: each row is flushed before the next."""
    out = tmp_path / "g.csv"
    seen = []

    def log(message):
        if message.startswith("warning"):
            return
        learner = message.split(":")[0]
        on_disk = [r["learner"] for r in _read_csv(out)]
        assert learner in on_disk
        assert (tmp_path / "g_feedback" / f"{learner}.txt").exists()
        seen.append(len(on_disk))

    nbs = [BATCH / "perfect.ipynb", BATCH / "not_a_notebook.ipynb",
           tmp_path / "does_not_exist.ipynb"]
    rows = grade.grade_batch(nbs, out, workers=1, timeout=90, cell_timeout=30, log=log,
                             lessons=["lesson00"])
    assert seen == [1, 2, 3]
    status = {r["learner"]: r["status"] for r in rows}
    assert status == {"perfect": "ok", "not_a_notebook": "unreadable",
                      "does_not_exist": "unreadable"}


def test_without_the_sandbox_notebooks_still_get_their_rows(tmp_path):
    """--sandbox none (no isolation): same engine, same rows for honest and broken files."""
    out = tmp_path / "g.csv"
    rows = grade.grade_batch([BATCH / "perfect.ipynb", BATCH / "kernel_crash.ipynb",
                              BATCH / "numeric_source.ipynb"], out, workers=2, timeout=90,
                             cell_timeout=30, sandbox="none", log=lambda m: None)
    got = {r["learner"]: (r["status"], r["total"]) for r in rows}
    full = 3          # q4 is free text: no point
    assert got == {"perfect": ("ok", full), "kernel_crash": ("kernel_died", 0),
                   "numeric_source": ("ok", 3)}


@needs_bwrap
def test_ctrl_c_stops_at_once_keeps_rows_and_leaves_nothing_running(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook
    mark = "teachnn_ctrl_c_survivor"
    slow = new_notebook(cells=[
        new_code_cell("from teachnn.exercises.lesson00 import q1"),
        new_code_cell("import subprocess, sys, time\n"
                      f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', '{mark}'],"
                      " start_new_session=True)\ntime.sleep(600)")])
    nbformat.write(slow, str(tmp_path / "slow.ipynb"))
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    out = tmp_path / "g.csv"
    env = dict(os.environ, TMPDIR=str(tmpdir), PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "teachnn.exercises.grade", str(BATCH / "perfect.ipynb"),
         str(tmp_path / "slow.ipynb"), str(tmp_path / "slow.ipynb"), "--out", str(out),
         "--workers", "2", "--timeout", "600", "--cell-timeout", "600", "--sandbox", "bwrap"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (out.exists() and len(_read_csv(out)) >= 1):
            time.sleep(0.2)
        assert _read_csv(out)[0]["learner"] == "perfect"
        while not survivors(mark) and time.monotonic() < deadline:   # the slow one is running
            time.sleep(0.2)
        assert survivors(mark)
        proc.send_signal(signal.SIGINT)
        start = time.monotonic()
        proc.wait(timeout=20)
        assert time.monotonic() - start < 10
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert [r["learner"] for r in _read_csv(out)] == ["perfect"]
    time.sleep(0.5)
    assert survivors(mark, str(tmpdir)) == []


@needs_bwrap
def test_the_sandbox_confines_a_process(tmp_path):
    """Run a probe where the kernel would run: what can it see, write, reach and kill?"""
    conn = tmp_path / "conn"
    conn.mkdir()
    argv = _sandbox.kernel_argv("bwrap", str(conn), _sandbox.Limits(memory_mb=512))
    probe = f"""
import json, os, resource, socket
res = {{"uid": os.getuid(), "pids": sorted(int(p) for p in os.listdir('/proc') if p.isdigit())}}
for path in ({str(ROOT / 'probe')!r}, {str(tmp_path / 'x')!r}, '/tmp/x', '/home/learner/x', '/x'):
    try:
        open(path, 'w').write('x'); res[path] = 'written'
    except OSError as e:
        res[path] = type(e).__name__
res["grader_files_visible"] = os.path.exists({str(BATCH)!r})
res["shadow"] = os.path.exists('/etc/shadow')
try:
    socket.create_connection(('1.1.1.1', 53), timeout=2); res["net"] = True
except OSError:
    res["net"] = False
res["as"] = resource.getrlimit(resource.RLIMIT_AS)[0]
try:
    bytearray(600 * 2**20); res["alloc"] = True
except MemoryError:
    res["alloc"] = False
print(json.dumps(res))
"""
    start = argv[argv.index("--") + 1:]
    limits_code = start[2].replace("os.execv(sys.executable, [sys.executable, '-m', "
                                   "'ipykernel_launcher', '-f', sys.argv[1]])",
                                   "exec(sys.argv[1])")
    assert limits_code != start[2]
    cmd = argv[:argv.index("--") + 1] + [start[0], "-c", limits_code, probe]
    res = json.loads(subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout)
    assert res["uid"] == _sandbox.SANDBOX_UID
    assert max(res["pids"]) < 10                       # its own pid namespace
    # the checkout is read-only inside; when it lies under /tmp, its path inside is a folder
    # of the private /tmp, so a write may succeed there - but never reaches the host
    assert not (ROOT / "probe").exists()
    assert res[str(ROOT / "probe")] == "OSError" or str(ROOT).startswith("/tmp/")
    assert not (tmp_path / "x").exists()      # (inside, /tmp is a private tmpfs)
    assert res["/x"] == "OSError"
    assert res["/tmp/x"] == res["/home/learner/x"] == "written"   # private tmpfs
    assert not res["grader_files_visible"] and not res["shadow"] and not res["net"]
    assert res["as"] == 512 * 2**20 and res["alloc"] is False


def test_whole_notebook_time_limit_kills_the_worker(tmp_path):
    """A loop that swallows the interrupt is stopped by the per-notebook limit."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook
    nb = new_notebook(cells=[new_code_cell("from teachnn.exercises.lesson00 import q1, ____"),
                             new_code_cell("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                           "while True:\n    pass")])
    path = tmp_path / "stubborn.ipynb"
    nbformat.write(nb, str(path))
    result = grade._run_worker_process(path, ["lesson00"], cell_timeout=3, total_timeout=12)
    assert result["status"] == "timeout", result


def test_learner_ids_and_feedback_names():
    assert grade._learner_ids(["a/x.ipynb", "b/x.ipynb", "c/y.ipynb"]) == ["a__x", "b__x", "y"]
    assert grade._learner_ids(["a/x.ipynb", "a/x.ipynb"]) == ["a__x", "a__x~2"]
    assert grade.display_name(os.fsdecode(EUC_KR)) == "김철수.ipynb"
    assert grade.display_name(os.fsdecode(b"\xff\xfe.ipynb")) == "\\xff\\xfe.ipynb"
    names = grade._feedback_names(["a__" + LONG, "b__" + LONG, "x/y", "Bob", "bob"])
    assert len(set(names)) == 5 and all(len(n.encode()) < 255 for n in names)
    assert names[3] == "Bob.txt" and names[4] != "bob.txt"     # case-insensitive file systems
    assert "/" not in names[2]


def test_read_notebook_refuses_what_is_not_a_notebook(tmp_path):
    for content in (b"{ not json", b"[1, 2]", b'{"cells": 3}', b"\xff\xfe\x00"):
        (tmp_path / "x.ipynb").write_bytes(content)
        with pytest.raises(grade.Unreadable):
            grade.read_notebook(tmp_path / "x.ipynb")
    with pytest.raises(grade.Unreadable):
        grade.read_notebook(tmp_path / "missing.ipynb")
    os.mkfifo(tmp_path / "fifo.ipynb")                 # would block a plain read for ever
    for odd in (tmp_path / "fifo.ipynb", tmp_path, "/dev/zero"):
        with pytest.raises(grade.Unreadable):
            grade.read_notebook(odd)


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


def test_the_seed_reaches_collect_and_grade_when_the_engine_takes_one(monkeypatch):
    cell = _collector.collector_cell(["lesson00"], "ab12", seed=7, pass_seed=True, sources={})
    assert '_kw["seed"] = 7' in cell
    assert "if True:" in cell
    assert "if False:" in _collector.collector_cell(["lesson00"], "ab12", seed=7, sources={})
    from teachnn.exercises import core
    seen = {}

    def grade_payloads(data, lessons=None, seed=None):
        seen["seed"] = seed
        return {}
    monkeypatch.setattr(core, "grade_payloads", grade_payloads)
    grade.grade_result({"status": "ok", "payload": {}}, ["lesson00"], seed=7)
    assert seen == {"seed": 7}


def test_the_collector_runs_the_graders_engine_not_the_notebooks():
    """The collector cell, run where teachnn.exercises and importlib are replaced."""
    import importlib
    import types
    sources = _collector.engine_sources()
    assert "core" in sources and "lesson00" in sources and "grade" not in sources
    cell = _collector.collector_cell(["lesson00"], "cafe01", sources=sources)
    cell = cell.split("\nfrom IPython.display")[0]
    fake = types.ModuleType("teachnn.exercises.core")
    fake.collect_lessons = lambda *a, **k: '{"lesson00": {"q1": 13}}'
    saved = dict(sys.modules), importlib.import_module
    try:
        sys.modules["teachnn.exercises.core"] = fake
        importlib.import_module = lambda name, package=None: fake
        namespace = {"n_lessons": 99}
        exec(cell, namespace)
        data = json.loads(namespace["_teachnn_grade_collect_cafe01"](namespace))
    finally:
        sys.modules.clear()
        sys.modules.update(saved[0])
        importlib.import_module = saved[1]
    assert data["lesson00"]["q1"] == 99 and set(data["lesson00"]) == {"q1", "q2", "q3", "q4"}


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
    paths, modules = [], {}
    for stem in SOLVED_LESSONS:
        path, module = solved_copy(ROOT / "lessons" / f"{stem}.ipynb", tmp_path)
        paths.append(path)
        modules[path.stem] = module
    out = tmp_path / "solved.csv"
    rows = grade.grade_batch(paths, out, workers=2, timeout=240, cell_timeout=120,
                             log=lambda m: None)
    assert len(rows) == len(SOLVED_LESSONS)
    for row in rows:
        assert row["status"] == "ok", row
        lesson = re.search(r"solved_(\d\d)_", row["learner"]).group(1)
        mine = {k: v for k, v in row.items() if k.startswith(f"lesson{lesson}.")}
        others = {k: v for k, v in row.items() if k.startswith("lesson") and k not in mine}
        assert all(v == "" for v in others.values()), row      # only its own lesson
        assert mine and all(v in (0, 1) for v in mine.values())
        assert row["total"] + row["written"] == len(mine) == row["max"] + row["written"], row
        assert row["total"] == sum(mine.values())


def test_all_three_ways_to_call_the_grader_show_the_same_help():
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
    for option in ("--out", "--cell-timeout", "--seed", "--sandbox", "--memory-mb", "--lessons"):
        assert option in outputs[0]
