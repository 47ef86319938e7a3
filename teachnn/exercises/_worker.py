"""One notebook, run by the grader as ``python _worker.py`` (a script: no ``import teachnn``).

The worker is the grader's side of one kernel: it runs outside the sandbox, as the grader's
user, and drives the sandboxed kernel with nbclient over IPC sockets in a folder of its own.
Its job comes on stdin as JSON (the grader has already read and cleaned the notebook's code
cells, so the worker never opens a learner's file); its answer is one line on stdout that
starts with the grader's nonce.
"""
from __future__ import annotations

import ctypes
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading

import _collector
import _sandbox


def _die_with_parent():
    """SIGKILL this worker when the grader dies (Linux), so no kernel outlives the grader."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)            # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


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


_REPLY_NONCE = ""


def _reply(result):
    sys.stdout.write("\n" + _REPLY_NONCE + " " + json.dumps(result) + "\n")
    sys.stdout.flush()


def _watch_kernel(km, done, run_dir, cgroup):
    """End the worker with ``kernel_died`` when the kernel's process exits mid-notebook.

    (nbclient can wait for the outputs of a dead kernel for ever.)"""
    while not done.wait(0.5):
        provisioner = getattr(km, "provisioner", None)
        proc = getattr(provisioner, "process", None)
        if proc is not None and proc.poll() is not None and not done.is_set():
            if cgroup is not None:
                cgroup.remove()
            shutil.rmtree(run_dir, ignore_errors=True)
            _reply({"status": "kernel_died", "detail": f"kernel exited ({proc.returncode})"})
            os._exit(0)


def run(job) -> dict:
    import nbformat
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_core.utils import run_sync
    from nbclient.exceptions import DeadKernelError

    mode = job["mode"]
    limits = _sandbox.Limits(**job["limits"])
    nonce = secrets.token_hex(16)
    cells = [nbformat.v4.new_code_cell(src) for src in job["cells"]]
    cells.append(nbformat.v4.new_code_cell(_collector.collector_cell(
        job["lessons"], nonce, seed=job.get("seed"), pass_seed=job.get("pass_seed", False))))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    run_dir = job["run_dir"]             # made (and removed) by the grader
    conn_dir = os.path.join(run_dir, "conn")
    work_dir = os.path.join(run_dir, "work")
    os.mkdir(conn_dir, 0o700)
    os.mkdir(work_dir, 0o700)
    try:
        km = AsyncKernelManager(transport="ipc", ip=os.path.join(conn_dir, "k"),
                           connection_file=os.path.join(conn_dir, "kernel.json"))
        env = _sandbox.none_env(work_dir) if mode == "none" else {}
        argv = _sandbox.kernel_argv(mode, conn_dir, limits)
        cgroup = _sandbox.TreeCgroup.create(os.path.basename(run_dir), limits.nproc,
                                            limits.tree_memory_bytes())
        if cgroup is not None:
            argv = cgroup.wrap(argv)
        km._kernel_spec = KernelSpec(argv=argv,
                                     display_name="teachnn grading sandbox",
                                     language="python", env=env, interrupt_mode="message")
        Client = _make_client_class()
        client = Client(nb, km=km, timeout=job["cell_timeout"], allow_errors=True,
                        interrupt_on_timeout=True, startup_timeout=120,
                        resources={"metadata": {"path": work_dir}})
        done = threading.Event()
        threading.Thread(target=_watch_kernel, args=(km, done, run_dir, cgroup), daemon=True).start()
        try:
            # the kernel's own stdout/stderr are not the worker's: nothing it writes to
            # its file descriptors can reach the grader
            quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
            client.execute(env=env, **quiet) if mode == "none" else client.execute(**quiet)
            done.set()
        except DeadKernelError:
            return {"status": "kernel_died", "detail": "kernel died"}
        except Exception as exc:
            return {"status": "error", "detail": f"{type(exc).__name__}: {str(exc)[:200]}"}
        finally:
            done.set()
            try:                     # kills bubblewrap, and with it the pid namespace
                run_sync(km.shutdown_kernel)(now=True)
            except Exception:
                pass
            if cgroup is not None:
                cgroup.remove()
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    cell_errors = []
    for i, cell in enumerate(nb.cells[:-1]):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                cell_errors.append(f"셀 {i + 1}: {out.get('ename')}: {str(out.get('evalue'))[:120]}")
    bundles = []
    for out in nb.cells[-1].get("outputs", []):
        if out.get("output_type") == "error":
            return {"status": "error",
                    "detail": f"collect failed: {out.get('ename')}: {str(out.get('evalue'))[:200]}"}
        data = out.get("data", {}) if out.get("output_type") == "display_data" else {}
        if _collector.GRADE_MIME in data:
            bundles.append(data[_collector.GRADE_MIME])
    mine = [b for b in bundles if isinstance(b, dict) and b.get("nonce") == nonce]
    if len(bundles) != 1 or len(mine) != 1:
        return {"status": "error",
                "detail": f"answers not collected ({len(bundles)} answer messages, "
                          f"{len(mine)} with this run's nonce)"}
    try:
        payload = json.loads(mine[0]["data"])
    except (TypeError, ValueError) as exc:
        return {"status": "error", "detail": f"answers unreadable: {exc}"}
    status = "cell_timeout" if client.timed_out_cells else ("cell_errors" if cell_errors else "ok")
    return {"status": status, "payload": payload, "cell_errors": cell_errors}


def main():
    _die_with_parent()
    if os.getppid() == 1:
        return 1
    global _REPLY_NONCE
    job = json.loads(sys.stdin.readline())
    _REPLY_NONCE = job.pop("reply_nonce")
    try:
        result = run(job)
    except Exception as exc:
        result = {"status": "error", "detail": f"{type(exc).__name__}: {str(exc)[:200]}"}
    _reply(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
