"""``teachnn-grade``: grade a batch of submitted lesson notebooks.

Usage::

    teachnn-grade alice.ipynb bob.ipynb ... --out grades.csv [--workers 2]
                  [--timeout 300] [--cell-timeout 60] [--lessons lesson06,lesson08]
                  [--feedback-dir grades_feedback]
    python -m teachnn.exercises.grade ...      # the same

What happens to each notebook
-----------------------------
1. A worker *process* (``python -m teachnn.exercises.grade --worker NB``) executes the
   notebook top to bottom in its own fresh kernel (nbclient), in a temporary directory.
   A cell that raises is recorded and execution goes on (like "Run All" cell by cell); a
   cell that runs longer than ``--cell-timeout`` is interrupted and execution goes on.
2. A last cell, appended by the worker, removes ``teachnn.exercises*`` from ``sys.modules``,
   re-imports the exercise modules fresh from disk and *collects* the learner's answers as
   plain data (numbers, arrays; the outputs of the learner's functions on the visible and
   hidden cases).  Nothing the notebook did to ``check`` or to the engine is used.
3. The data comes back as JSON (never pickle) and the grader process compares it with the
   expected values it computes itself from the reference solutions.

Several notebooks run at once (``--workers``).  The whole worker is killed after
``--timeout`` seconds (process group, so its kernel goes too); a notebook that cannot be
read, whose kernel dies, or that times out gets a row saying so and the batch goes on.
Each row is written and flushed the moment its notebook finishes, so an interrupted run
keeps everything already graded.

Output
------
``grades.csv``: ``learner, notebook, status, <lessonNN.qK>..., total, max, note`` — one row
per learner; an exercise column is 1 when correct, 0 otherwise.  ``status`` is one of
``ok``, ``cell_errors`` (some cells raised; graded anyway), ``cell_timeout`` (a cell was
interrupted; graded anyway), ``timeout``, ``kernel_died``, ``unreadable``, ``error``
(the last four are not graded: every exercise 0).
``<feedback-dir>/<learner>.txt``: the same Korean feedback ``check()`` gives, per exercise.
"""
from __future__ import annotations

import argparse
import concurrent.futures as futures
import csv
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

GRADE_MIME = "application/vnd.teachnn.grade+json"
_LESSON_RE = re.compile(r"teachnn\.exercises\.(lesson\d+)")

STATUS_NOTES = {
    "ok": "",
    "cell_errors": "일부 셀에서 오류가 났습니다 (나머지는 채점함)",
    "cell_timeout": "시간 제한을 넘긴 셀을 중단했습니다 (나머지는 채점함)",
    "timeout": "노트북 전체가 시간 제한을 넘겨 중단했습니다 (채점 불가)",
    "kernel_died": "커널이 죽었습니다 (채점 불가)",
    "unreadable": "노트북 파일을 읽을 수 없습니다 (채점 불가)",
    "error": "채점기 오류 (채점 불가)",
}


# ----------------------------------------------------------------------------------------
# Which lessons does a notebook use?
# ----------------------------------------------------------------------------------------
def detect_lessons(nb_path) -> list[str]:
    """Lesson modules imported by the notebook's code cells (e.g. ``["lesson06"]``)."""
    try:
        import nbformat
        nb = nbformat.read(str(nb_path), as_version=4)
    except Exception:
        return []
    found = []
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            for name in _LESSON_RE.findall(cell.get("source", "")):
                if name not in found:
                    found.append(name)
    return found


def _known_lesson(name) -> bool:
    return re.fullmatch(r"lesson\d+", name) is not None and \
        (Path(__file__).parent / f"{name}.py").exists()


# ----------------------------------------------------------------------------------------
# Worker: executes one notebook, prints one JSON line
# ----------------------------------------------------------------------------------------
_COLLECT_CELL = """\
def __teachnn_grade_collect(lessons):
    import sys as _sys, importlib as _importlib, json as _json
    for _name in [m for m in list(_sys.modules) if m == "teachnn.exercises" or m.startswith("teachnn.exercises.")]:
        del _sys.modules[_name]
    _core = _importlib.import_module("teachnn.exercises.core")
    return _json.loads(_core.collect_lessons(lessons, globals(), include_hidden=True))
from IPython.display import display as __teachnn_display
__teachnn_display({%(mime)r: __teachnn_grade_collect(%(lessons)r)}, raw=True)
"""


def _make_client_class():
    from nbclient import NotebookClient

    class _Client(NotebookClient):
        """NotebookClient that remembers which cells hit the time limit."""

        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            self.timed_out_cells = []

        async def _async_handle_timeout(self, timeout, cell=None):
            self.timed_out_cells.append(cell.get("id", "?") if cell is not None else "?")
            return await super()._async_handle_timeout(timeout, cell)

    return _Client


def run_worker(nb_path, lessons, cell_timeout, kernel_name="python3") -> dict:
    """Execute one notebook and collect its answers. Returns a JSON-able dict."""
    import nbformat
    from nbclient.exceptions import DeadKernelError
    try:
        nb = nbformat.read(str(nb_path), as_version=4)
    except Exception as exc:
        return {"status": "unreadable", "detail": f"{type(exc).__name__}: {str(exc)[:200]}"}
    nb.cells.append(nbformat.v4.new_code_cell(
        _COLLECT_CELL % {"mime": GRADE_MIME, "lessons": list(lessons)}))
    Client = _make_client_class()
    with tempfile.TemporaryDirectory(prefix="teachnn-grade-") as workdir:
        client = Client(nb, timeout=cell_timeout, kernel_name=kernel_name, allow_errors=True,
                        interrupt_on_timeout=True, startup_timeout=120,
                        resources={"metadata": {"path": workdir}})
        try:
            client.execute()
        except DeadKernelError:
            return {"status": "kernel_died", "detail": "kernel died"}
        except Exception as exc:
            return {"status": "error", "detail": f"{type(exc).__name__}: {str(exc)[:200]}"}
    cell_errors = []
    for i, cell in enumerate(nb.cells[:-1]):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                cell_errors.append(f"셀 {i + 1}: {out.get('ename')}: {str(out.get('evalue'))[:120]}")
    payload = None
    for out in nb.cells[-1].get("outputs", []):
        if out.get("output_type") == "display_data" and GRADE_MIME in out.get("data", {}):
            payload = out["data"][GRADE_MIME]
        if out.get("output_type") == "error":
            return {"status": "error",
                    "detail": f"collect failed: {out.get('ename')}: {str(out.get('evalue'))[:200]}"}
    if payload is None:
        return {"status": "error", "detail": "no answers collected"}
    status = "cell_timeout" if client.timed_out_cells else ("cell_errors" if cell_errors else "ok")
    return {"status": status, "payload": payload, "cell_errors": cell_errors}


# ----------------------------------------------------------------------------------------
# Grader: runs workers, grades their data, writes rows as they finish
# ----------------------------------------------------------------------------------------
def _run_worker_process(nb_path, lessons, cell_timeout, total_timeout, kernel_name):
    """Run the worker in its own process group; kill the group on the total time limit."""
    # Run this file as a script, not ``-m teachnn.exercises.grade``: the worker needs only
    # nbclient, and skipping ``import teachnn`` (numba) saves seconds per notebook.
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(nb_path),
           "--lessons", ",".join(lessons), "--cell-timeout", str(cell_timeout),
           "--kernel", kernel_name]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, text=True)
    try:
        out, err = proc.communicate(timeout=total_timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return {"status": "timeout", "detail": f"over {total_timeout} s"}
    finally:
        _kill_group(proc, only_children=True)
    for line in reversed(out.strip().splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                break
    return {"status": "error", "detail": (err.strip().splitlines() or ["worker failed"])[-1][:200]}


def _kill_group(proc, only_children=False):
    """Kill the worker's process group (worker + its kernel), by the id we started it with.

    The worker was started with ``start_new_session=True``, so its group id is its pid."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass
    if not only_children:
        try:
            proc.kill()
        except OSError:
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def _learner_ids(paths):
    stems = [Path(p).stem for p in paths]
    ids = []
    for p, s in zip(paths, stems):
        if stems.count(s) > 1:
            s = "__".join(Path(p).with_suffix("").parts[-2:])
        ids.append(s)
    return ids


def grade_result(worker_result, lessons):
    """Worker output -> (status, {qualname: Result}, note lines)."""
    from .core import Result, INCORRECT, grade_payloads, lesson_problems
    status = worker_result.get("status", "error")
    notes = list(worker_result.get("cell_errors", []))
    if "payload" not in worker_result:
        results = {}
        why = STATUS_NOTES.get(status, status)
        for lesson in lessons:
            for p in lesson_problems(lesson):
                results[p.qualname] = Result(INCORRECT, p._label(), [why])
        detail = worker_result.get("detail")
        return status, results, [why] + ([detail] if detail else [])
    try:
        results = grade_payloads(worker_result["payload"], lessons)
    except Exception as exc:
        return "error", {}, [f"grading failed: {type(exc).__name__}: {exc}"]
    return status, results, notes


def _feedback_text(learner, nb_path, status, results, notes, total, maximum):
    lines = [f"학습자: {learner}", f"노트북: {nb_path}", f"상태: {status}",
             f"점수: {total} / {maximum}", ""]
    if notes:
        lines.append("참고:")
        lines += [f"  - {n}" for n in notes]
        lines.append("")
    for qual, result in results.items():
        lines.append(f"## {qual}")
        lines.append(result.text())
        lines.append("")
    return "\n".join(lines)


def grade_batch(notebooks, out, feedback_dir=None, workers=2, timeout=300.0,
                cell_timeout=60.0, lessons=None, kernel_name="python3", log=print):
    """Grade ``notebooks``; write ``out`` (CSV) and one feedback file per learner.

    Returns the list of row dicts in the order they finished."""
    from .core import lesson_problems
    notebooks = [str(p) for p in notebooks]
    if lessons is None:
        lessons = []
        for p in notebooks:
            for l in detect_lessons(p):
                if l not in lessons and _known_lesson(l):
                    lessons.append(l)
        lessons.sort()
    columns = [p.qualname for l in lessons for p in lesson_problems(l)]
    points = {p.qualname: p.points for l in lessons for p in lesson_problems(l)}
    maximum = sum(points.values())
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    feedback_dir = Path(feedback_dir) if feedback_dir else out.with_name(out.stem + "_feedback")
    feedback_dir.mkdir(parents=True, exist_ok=True)
    fieldnames = ["learner", "notebook", "status"] + columns + ["total", "max", "note"]
    rows = []
    lock = threading.Lock()
    ids = dict(zip(notebooks, _learner_ids(notebooks)))
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fieldnames)
        writer.writeheader()
        fh.flush()

        def finish(nb_path, worker_result):
            learner = ids[nb_path]
            status, results, notes = grade_result(worker_result, lessons)
            row = {"learner": learner, "notebook": nb_path, "status": status}
            total = 0
            for q in columns:
                r = results.get(q)
                score = points[q] if (r is not None and r.correct) else 0
                row[q] = score
                total += score
            row.update(total=total, max=maximum,
                       note=STATUS_NOTES.get(status, "") if status != "error" else "; ".join(notes)[:200])
            text = _feedback_text(learner, nb_path, status, results, notes, total, maximum)
            with lock:
                writer.writerow(row)
                fh.flush()
                os.fsync(fh.fileno())
                (feedback_dir / f"{learner}.txt").write_text(text, encoding="utf-8")
                rows.append(row)
            log(f"{learner}: {status} {total}/{maximum}")

        with futures.ThreadPoolExecutor(max_workers=max(1, int(workers))) as pool:
            jobs = {pool.submit(_run_worker_process, nb, lessons, cell_timeout, timeout,
                                kernel_name): nb for nb in notebooks}
            for job in futures.as_completed(jobs):
                nb = jobs[job]
                try:
                    result = job.result()
                except Exception as exc:
                    result = {"status": "error", "detail": f"{type(exc).__name__}: {exc}"}
                finish(nb, result)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="teachnn-grade",
        description="Execute and grade teachnn lesson notebooks; write a CSV and feedback files.")
    parser.add_argument("notebooks", nargs="+", help="submitted .ipynb files")
    parser.add_argument("--out", default="grades.csv", help="CSV file to write (default grades.csv)")
    parser.add_argument("--feedback-dir", default=None,
                        help="folder for one feedback .txt per learner (default <out>_feedback)")
    parser.add_argument("--workers", type=int, default=2, help="notebooks run at once (default 2)")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds allowed per notebook in total (default 300)")
    parser.add_argument("--cell-timeout", type=float, default=60.0,
                        help="seconds allowed per cell before it is interrupted (default 60)")
    parser.add_argument("--lessons", default=None,
                        help="comma-separated lesson modules, e.g. lesson06,lesson08 "
                             "(default: detected from the notebooks' imports)")
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel name")
    if argv is None:
        argv = sys.argv[1:]
    argv = list(argv)
    if "--worker" in argv:        # internal: one notebook, run by grade_batch in a subprocess
        return _dispatch(None, parser, argv)
    return _dispatch(parser.parse_args(argv), parser, argv)


def _dispatch(args, parser, argv):
    if args is None:              # worker mode: notebooks positional is absent
        wp = argparse.ArgumentParser()
        wp.add_argument("--worker", required=True)
        wp.add_argument("--lessons", default="")
        wp.add_argument("--cell-timeout", type=float, default=60.0)
        wp.add_argument("--kernel", default="python3")
        w = wp.parse_args(argv)
        lessons = [l for l in w.lessons.split(",") if l]
        result = run_worker(w.worker, lessons, w.cell_timeout, w.kernel)
        sys.stdout.write("\n" + json.dumps(result) + "\n")
        sys.stdout.flush()
        return 0
    lessons = None
    if args.lessons:
        lessons = [l.strip() for l in args.lessons.split(",") if l.strip()]
        bad = [l for l in lessons if not _known_lesson(l)]
        if bad:
            parser.error(f"unknown lesson module(s): {', '.join(bad)} (expected names like lesson06)")
    missing = [p for p in args.notebooks if not Path(p).exists()]
    for p in missing:
        print(f"warning: {p} does not exist; it gets an 'unreadable' row", file=sys.stderr)
    rows = grade_batch(args.notebooks, args.out, args.feedback_dir, args.workers, args.timeout,
                       args.cell_timeout, lessons, args.kernel,
                       log=lambda m: print(m, flush=True))
    print(f"wrote {args.out} ({len(rows)} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
