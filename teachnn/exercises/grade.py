"""``teachnn-grade``: grade a batch of submitted lesson notebooks.

Usage::

    teachnn-grade alice.ipynb bob.ipynb ... --out grades.csv [--workers 2]
                  [--timeout 300] [--cell-timeout 60] [--memory-mb 4096]
                  [--lessons lesson06,lesson08] [--seed 1234] [--sandbox auto|bwrap|none]
                  [--feedback-dir grades_feedback]
    python -m teachnn.exercises.grade ...      # the same

Every notebook is untrusted code.  The threat model (what a notebook can and cannot do to
the grades) is in ``docs/grading.md``; in short:

1. The grader reads each notebook itself (bad JSON, odd cells and names give that learner
   a row with a status) and takes the notebook's lesson from its metadata or its first
   ``import`` of ``teachnn.exercises.lessonNN`` (``--lessons`` overrides for everyone).
2. A worker process (``_worker.py``, the grader's side) runs the code cells in a fresh
   kernel in a bubblewrap sandbox (``_sandbox.py``): no network, no view of other
   processes or of any host folder but read-only system, Python and teachnn files, a
   private size-limited home and /tmp, address-space and CPU-time limits per process, and
   (when the grader may make cgroups: root) task and memory limits for the whole tree.
3. A last cell, written by the grader (``_collector.py``), runs its own copy of the
   exercise engine and sends the answers back as data with a per-run nonce; the grader
   computes every expected value and every score itself.
4. Each row is written and flushed when its notebook finishes; at the time limit, at the
   end and on Ctrl-C the sandbox is killed with everything it started.

Output
------
``grades.csv``: ``learner, notebook, status, <lessonNN.qK>..., written, total, max, note``.
An exercise cell holds its points when correct, 0 otherwise, and is empty when that
exercise is not in the learner's lesson.  ``written`` counts free-text answers (read them
in ``<out>_answers.csv``; they are never points).  ``status`` is one of ``ok``,
``cell_errors`` (graded anyway), ``cell_timeout`` (graded anyway), ``timeout``,
``kernel_died``, ``unreadable``, ``no_lesson``, ``error`` (the last five are not graded).
``<feedback-dir>/<learner>.txt``: the same Korean feedback ``check()`` gives, per exercise.
"""
from __future__ import annotations

import argparse
import ast
import concurrent.futures as futures
import csv
import hashlib
import inspect
import json
import os
import re
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from . import _sandbox
from ._collector import GRADE_MIME  # noqa: F401  (re-exported for tools reading outputs)

_LESSON_NAME = re.compile(r"lesson\d+")
_MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
_MAX_REPLY_BYTES = 200 * 1024 * 1024
_FEEDBACK_NAME_BYTES = 150           # well under the 255-byte limit of common file systems

STATUS_NOTES = {
    "ok": "",
    "cell_errors": "일부 셀에서 오류가 났습니다 (나머지는 채점함)",
    "cell_timeout": "시간 제한을 넘긴 셀을 중단했습니다 (나머지는 채점함)",
    "timeout": "노트북 전체가 시간 제한을 넘겨 중단했습니다 (채점 불가)",
    "kernel_died": "커널이 죽었습니다 (채점 불가)",
    "unreadable": "노트북 파일을 읽을 수 없습니다 (채점 불가)",
    "no_lesson": "어느 강의의 노트북인지 알 수 없습니다: --lessons 로 지정하세요 (채점 불가)",
    "error": "채점기 오류 (채점 불가)",
}


# ----------------------------------------------------------------------------------------
# Reading a submission: never trusts the file
# ----------------------------------------------------------------------------------------
class Unreadable(Exception):
    """The file is not a notebook the grader can run."""


def read_notebook(path):
    """``path`` -> ``(code cell sources, metadata dict, notes)``; raises ``Unreadable``.

    Cells whose source is not text (a number, a list holding non-strings) and cells of
    unknown types are skipped with a note; the rest run in the order of the file."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):     # a FIFO or a device would block
            raise Unreadable("not a regular file")
        with open(path, "rb") as fh:
            raw = fh.read(_MAX_NOTEBOOK_BYTES + 1)
    except OSError as exc:
        raise Unreadable(f"{type(exc).__name__}: {exc.strerror or exc}") from None
    if len(raw) > _MAX_NOTEBOOK_BYTES:
        raise Unreadable(f"file larger than {_MAX_NOTEBOOK_BYTES // 2**20} MB")
    try:
        nb = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise Unreadable(f"not JSON: {str(exc)[:120]}") from None
    if not isinstance(nb, dict):
        raise Unreadable("not a notebook (the JSON is not an object)")
    cells = nb.get("cells")
    if cells is None and isinstance(nb.get("worksheets"), list) and nb["worksheets"]:
        cells = nb["worksheets"][0].get("cells") if isinstance(nb["worksheets"][0], dict) else None
    if not isinstance(cells, list):
        raise Unreadable("not a notebook (no list of cells)")
    sources, notes = [], []
    for i, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            notes.append(f"셀 {i}: 셀 형식이 아니어서 건너뜀")
            continue
        if cell.get("cell_type") != "code":
            if cell.get("cell_type") not in ("markdown", "raw", "heading"):
                notes.append(f"셀 {i}: 알 수 없는 셀 종류라서 건너뜀")
            continue
        src = cell.get("source", cell.get("input", ""))
        if isinstance(src, list) and all(isinstance(s, str) for s in src):
            src = "".join(src)
        if not isinstance(src, str):
            notes.append(f"셀 {i}: 코드가 문자열이 아니어서 건너뜀")
            continue
        sources.append(src)
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    return sources, meta, notes


def _imported_lessons(source):
    """Lesson modules named by the import statements of one cell, in order (not comments)."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        # IPython magics and shell escapes are not Python: keep the line count, drop them
        lines.append(line[:len(line) - len(stripped)] + "pass" if stripped[:1] in "%!" and stripped else line)
    try:
        trees = [ast.parse("\n".join(lines))]
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        trees = []           # a broken cell: look at its import lines one by one
        for line in lines:
            if line.lstrip().startswith(("import ", "from ")):
                try:
                    trees.append(ast.parse(line.strip()))
                except (SyntaxError, ValueError):
                    pass
    found = []
    for tree in trees:
        nodes = sorted((n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))),
                       key=lambda n: (n.lineno, n.col_offset))
        for node in nodes:
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif node.level == 0 and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                m = re.fullmatch(r"teachnn\.exercises\.(lesson\d+)", name)
                if m and m.group(1) not in found:
                    found.append(m.group(1))
    return found


def notebook_lesson(sources, metadata):
    """The notebook's own lesson: ``metadata.teachnn.lesson`` or its first import of one."""
    tagged = metadata.get("teachnn") if isinstance(metadata, dict) else None
    if isinstance(tagged, dict) and isinstance(tagged.get("lesson"), str) \
            and _known_lesson(tagged["lesson"]):
        return tagged["lesson"]
    for src in sources:
        for name in _imported_lessons(src):
            if _known_lesson(name):
                return name
    return None


def detect_lessons(nb_path) -> list:
    """``[lesson]`` of one notebook file, or ``[]`` when it has none or cannot be read."""
    try:
        sources, meta, _ = read_notebook(nb_path)
    except Unreadable:
        return []
    lesson = notebook_lesson(sources, meta)
    return [lesson] if lesson else []


def _known_lesson(name) -> bool:
    return isinstance(name, str) and _LESSON_NAME.fullmatch(name) is not None and \
        (Path(__file__).parent / f"{name}.py").exists()


# ----------------------------------------------------------------------------------------
# Names: one unique, printable learner id per submission, and a safe file name for it
# ----------------------------------------------------------------------------------------
def display_name(path) -> str:
    """A file name as text even when its bytes are not UTF-8 (EUC-KR names from a zip)."""
    raw = os.fsencode(path)
    for encoding in ("utf-8", "cp949"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            pass
    return raw.decode("utf-8", "backslashreplace")


def _learner_ids(paths):
    names = [display_name(p) for p in paths]
    stems = [re.sub(r"\.ipynb$", "", Path(n).name) or Path(n).name for n in names]
    ids = []
    for n, s in zip(names, stems):
        if stems.count(s) > 1:
            s = "__".join(Path(n).with_suffix("").parts[-2:])
        base, k = s, 2
        while s in ids:
            s, k = f"{base}~{k}", k + 1
        ids.append(s)
    return ids


def _feedback_names(ids):
    """Unique file names, each under ``_FEEDBACK_NAME_BYTES`` bytes, for the learner ids."""
    names, used = [], set()
    for learner in ids:
        safe = re.sub(r'[\x00-\x1f/\\:*?"<>|]', "_", learner).strip(". ") or "learner"
        digest = hashlib.sha1(learner.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        raw = safe.encode("utf-8")
        name = safe
        if len(raw) > _FEEDBACK_NAME_BYTES or safe != learner or name.casefold() in used:
            name = raw[:_FEEDBACK_NAME_BYTES].decode("utf-8", "ignore") + "-" + digest
        used.add(name.casefold())
        names.append(name + ".txt")
    return names


# ----------------------------------------------------------------------------------------
# Running one notebook: the worker process drives a sandboxed kernel
# ----------------------------------------------------------------------------------------
class _Runner:
    """Starts workers, kills every one of them on demand (time limit, Ctrl-C, the end)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.procs = set()
        self.stopping = False

    def stop(self):
        with self.lock:
            self.stopping = True
            procs = list(self.procs)
        for proc in procs:
            _kill_group(proc)

    def run(self, job, total_timeout):
        reply_nonce = secrets.token_hex(16)
        job = dict(job, reply_nonce=reply_nonce)
        worker = Path(__file__).resolve().with_name("_worker.py")
        memory = int(job["limits"]["memory_mb"]) + 2048

        def limit_worker():          # the worker holds the kernel's outputs: bound it too
            import resource
            resource.setrlimit(resource.RLIMIT_AS, (memory * 2**20, memory * 2**20))

        job["run_dir"] = _make_run_dir()
        with self.lock:
            if self.stopping:
                shutil.rmtree(job["run_dir"], ignore_errors=True)
                return {"status": "interrupted"}
            proc = subprocess.Popen([sys.executable, str(worker)], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    start_new_session=True, preexec_fn=limit_worker)
            self.procs.add(proc)
        try:
            out, err = proc.communicate((json.dumps(job) + "\n").encode(), timeout=total_timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            return {"status": "timeout", "detail": f"over {total_timeout:g} s"}
        finally:
            _kill_group(proc)
            _sandbox.remove_cgroups(os.path.basename(job["run_dir"]))
            shutil.rmtree(job["run_dir"], ignore_errors=True)
            with self.lock:
                self.procs.discard(proc)
        if self.stopping:
            return {"status": "interrupted"}
        for line in reversed(out[-_MAX_REPLY_BYTES:].splitlines()):
            if line.startswith(reply_nonce.encode() + b" "):
                try:
                    return json.loads(line[len(reply_nonce) + 1:])
                except ValueError:
                    break
        tail = err.decode("utf-8", "replace").strip().splitlines() or ["worker failed"]
        return {"status": "error", "detail": tail[-1][:200]}


def _make_run_dir():
    """A private folder for one notebook's kernel sockets, with a short path: a Unix
    socket's path must fit in 107 bytes."""
    base = tempfile.gettempdir()
    if len(base) > 60 and os.path.isdir("/tmp"):
        base = "/tmp"
    path = tempfile.mkdtemp(prefix="teachnn-grade-", dir=base)
    os.chmod(path, 0o700)
    return path


def _kill_group(proc):
    """SIGKILL the worker's process group (the worker was started in a session of its own).

    The sandboxed kernel dies with the worker (bubblewrap's --die-with-parent, and the pid
    namespace takes every process the notebook started)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass
    try:
        proc.kill()
    except OSError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def _run_worker_process(nb_path, lessons, cell_timeout, total_timeout, sandbox="auto",
                        limits=None, seed=None):
    """Run one notebook file start to end (used by tests); returns the worker's result."""
    try:
        sources, _, _ = read_notebook(nb_path)
    except Unreadable as exc:
        return {"status": "unreadable", "detail": str(exc)}
    job = _job(sources, lessons, cell_timeout, _sandbox.resolve_mode(sandbox),
               limits or _sandbox.Limits(), seed)
    return _Runner().run(job, total_timeout)


def _accepts(fn, name):
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _job(sources, lessons, cell_timeout, mode, limits, seed):
    from .core import collect_lessons
    return {"cells": list(sources), "lessons": list(lessons), "cell_timeout": cell_timeout,
            "mode": mode, "limits": limits.__dict__, "seed": seed,
            "pass_seed": seed is not None and _accepts(collect_lessons, "seed")}


# ----------------------------------------------------------------------------------------
# Grading: the grader's own expected values, one row per learner
# ----------------------------------------------------------------------------------------
def grade_result(worker_result, lessons, seed=None):
    """Worker output -> (status, {qualname: Result}, note lines)."""
    from .core import Result, INCORRECT, grade_payloads, lesson_problems
    status = worker_result.get("status", "error")
    notes = list(worker_result.get("notes", [])) + list(worker_result.get("cell_errors", []))
    if "payload" not in worker_result:
        results = {}
        why = STATUS_NOTES.get(status, status)
        for lesson in lessons:
            for p in lesson_problems(lesson):
                results[p.qualname] = Result(INCORRECT, p._label(), [why])
        detail = worker_result.get("detail")
        return status, results, notes + [why] + ([detail] if detail else [])
    kw = {"seed": seed} if seed is not None and _accepts(grade_payloads, "seed") else {}
    try:
        results = grade_payloads(worker_result["payload"], list(lessons), **kw)
    except Exception as exc:
        return "error", {}, notes + [f"grading failed: {type(exc).__name__}: {exc}"]
    return status, results, notes


def _counts_as_points(problem) -> bool:
    """Free-text problems whose answers the engine leaves to the teacher carry no points."""
    if not hasattr(problem, "model_answer"):
        return True
    try:
        result = problem.evaluate({problem.var: problem.model_answer})
    except Exception:
        return True
    return getattr(result, "status", None) != "written"


def _feedback_text(learner, nb_name, status, results, notes, total, maximum):
    lines = [f"학습자: {learner}", f"노트북: {nb_name}", f"상태: {status}",
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
                cell_timeout=60.0, lessons=None, sandbox="auto", limits=None, seed=None,
                log=print):
    """Grade ``notebooks``; write ``out`` (CSV), ``<out>_answers.csv`` and feedback files.

    Returns the list of row dicts in the order they finished.  On KeyboardInterrupt every
    running sandbox is killed, the rows already written stay, and the interrupt goes on."""
    from .core import lesson_problems
    mode = _sandbox.resolve_mode(sandbox)
    if mode == "none" and sandbox == "auto":
        log("warning: bubblewrap (bwrap) is not available: the notebooks run WITHOUT a "
            "sandbox (see docs/grading.md)")
    limits = limits or _sandbox.Limits()
    notebooks = list(notebooks)
    ids = _learner_ids(notebooks)
    files = _feedback_names(ids)

    # 1. read every submission (the grader's own parse; one bad file is one bad row)
    plans = []
    for nb, learner, fname in zip(notebooks, ids, files):
        plan = {"path": nb, "learner": learner, "file": fname, "name": display_name(nb)}
        try:
            sources, meta, notes = read_notebook(nb)
            own = notebook_lesson(sources, meta)
            plan.update(sources=sources, notes=notes,
                        lessons=list(lessons) if lessons else ([own] if own else []))
        except Unreadable as exc:
            plan.update(status="unreadable", detail=str(exc), notes=[],
                        lessons=list(lessons) if lessons else [])
        plans.append(plan)

    # 2. columns: the teacher's lessons, or the union of the notebooks' own lessons
    all_lessons = sorted({l for p in plans for l in p["lessons"]})
    problems = {l: lesson_problems(l) for l in all_lessons}
    columns = [p.qualname for l in all_lessons for p in problems[l]]
    points = {p.qualname: p.points for l in all_lessons for p in problems[l]}
    counted = {p.qualname: _counts_as_points(p) for l in all_lessons for p in problems[l]}
    model = {p.qualname: getattr(p, "model_answer", "") for l in all_lessons for p in problems[l]}

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    feedback_dir = Path(feedback_dir) if feedback_dir else out.with_name(out.stem + "_feedback")
    feedback_dir.mkdir(parents=True, exist_ok=True)
    answers_path = out.with_name(out.stem + "_answers.csv")
    fieldnames = ["learner", "notebook", "status"] + columns + ["written", "total", "max", "note"]
    rows = []
    lock = threading.Lock()
    runner = _Runner()

    with open(out, "w", newline="", encoding="utf-8") as fh, \
            open(answers_path, "w", newline="", encoding="utf-8") as afh:
        writer = csv.DictWriter(fh, fieldnames=fieldnames)
        writer.writeheader()
        answers = csv.writer(afh)
        answers.writerow(["learner", "exercise", "text", "model_answer"])
        fh.flush()
        afh.flush()

        def finish(plan, worker_result):
            row_lessons = plan["lessons"]
            worker_result = dict(worker_result)
            worker_result["notes"] = plan["notes"] + list(worker_result.get("notes", []))
            status, results, notes = grade_result(worker_result, row_lessons, seed)
            mine = [p.qualname for l in row_lessons for p in problems[l]]
            row = {"learner": plan["learner"], "notebook": plan["name"], "status": status}
            total = maximum = written = 0
            texts = []
            for q in columns:
                if q not in mine:
                    row[q] = ""
                    continue
                r = results.get(q)
                score = points[q] if (r is not None and r.correct and counted[q]) else 0
                if r is not None and r.status == "written":
                    written += 1
                    texts.append([plan["learner"], q, getattr(r, "answer_text", ""), model[q]])
                row[q] = score
                total += score
                maximum += points[q] if counted[q] else 0
            note = STATUS_NOTES.get(status, "") if status not in ("error", "unreadable") else \
                "; ".join(notes)[:200]
            row.update(written=written, total=total, max=maximum, note=note)
            text = _feedback_text(plan["learner"], plan["name"], status, results, notes,
                                  total, maximum)
            with lock:
                writer.writerow(row)
                fh.flush()
                os.fsync(fh.fileno())
                answers.writerows(texts)
                afh.flush()
                (feedback_dir / plan["file"]).write_text(text, encoding="utf-8")
                rows.append(row)
            log(f"{plan['learner']}: {status} {total}/{maximum}")

        def run(plan):
            if "status" in plan:
                return {"status": plan["status"], "detail": plan.get("detail")}
            if not plan["lessons"]:
                return {"status": "no_lesson"}
            return runner.run(_job(plan["sources"], plan["lessons"], cell_timeout, mode,
                                   limits, seed), timeout)

        pool = futures.ThreadPoolExecutor(max_workers=max(1, int(workers)))
        previous = _sigterm_as_interrupt()
        try:
            jobs = {pool.submit(run, plan): plan for plan in plans}
            pending = set(jobs)
            while pending:
                # a short wait, so that Ctrl-C reaches this thread within a second
                done, pending = futures.wait(pending, timeout=0.5,
                                             return_when=futures.FIRST_COMPLETED)
                for job in done:
                    try:
                        result = job.result()
                    except Exception as exc:
                        result = {"status": "error", "detail": f"{type(exc).__name__}: {exc}"}
                    if result.get("status") != "interrupted":
                        finish(jobs[job], result)
        except BaseException:
            runner.stop()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            signal.signal(signal.SIGTERM, previous) if previous is not None else None
        pool.shutdown(wait=True)
    return rows


def _sigterm_as_interrupt():
    """SIGTERM stops the batch like Ctrl-C does (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        raise KeyboardInterrupt
    return signal.signal(signal.SIGTERM, handler)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="teachnn-grade",
        description="Execute and grade teachnn lesson notebooks, each in a sandbox; write a "
                    "CSV, the free-text answers and one feedback file per learner.")
    parser.add_argument("notebooks", nargs="+", help="submitted .ipynb files")
    parser.add_argument("--out", default="grades.csv", help="CSV file to write (default grades.csv)")
    parser.add_argument("--feedback-dir", default=None,
                        help="folder for one feedback .txt per learner (default <out>_feedback)")
    parser.add_argument("--workers", type=int, default=2, help="notebooks run at once (default 2)")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds allowed per notebook in total (default 300)")
    parser.add_argument("--cell-timeout", type=float, default=60.0,
                        help="seconds allowed per cell before it is interrupted (default 60)")
    parser.add_argument("--memory-mb", type=int, default=4096,
                        help="address space allowed to each process of a notebook (default 4096)")
    parser.add_argument("--lessons", default=None,
                        help="comma-separated lesson modules graded for everyone, e.g. lesson06 "
                             "(default: each notebook's own lesson, from its first import)")
    parser.add_argument("--seed", type=int, default=None,
                        help="draws the hidden test cases at grading time (teacher's choice)")
    parser.add_argument("--sandbox", choices=["auto", "bwrap", "none"], default="auto",
                        help="auto: bubblewrap when it works here, else none (default auto)")
    args = parser.parse_args(argv)
    # SIGINT stops the batch even when started from a script's background job (which
    # starts with SIGINT ignored)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    lessons = None
    if args.lessons:
        lessons = [l.strip() for l in args.lessons.split(",") if l.strip()]
        bad = [l for l in lessons if not _known_lesson(l)]
        if bad:
            parser.error(f"unknown lesson module(s): {', '.join(bad)} (expected names like lesson06)")
    try:
        _sandbox.resolve_mode(args.sandbox)
    except RuntimeError as exc:
        parser.error(str(exc))
    limits = _sandbox.Limits(memory_mb=args.memory_mb,
                             cpu_seconds=max(1, int(args.timeout) + 10))
    try:
        rows = grade_batch(args.notebooks, args.out, args.feedback_dir, args.workers,
                           args.timeout, args.cell_timeout, lessons, args.sandbox, limits,
                           args.seed, log=lambda m: print(m, flush=True))
    except KeyboardInterrupt:
        print(f"interrupted: the rows already in {args.out} are kept", file=sys.stderr)
        return 130
    print(f"wrote {args.out} ({len(rows)} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
