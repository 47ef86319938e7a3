"""How the grader starts a learner's kernel: the sandbox, the limits, the kill.

Imported by ``grade.py`` (the grader) and by ``_worker.py`` (run as a script, so this file
imports nothing from teachnn).  The threat model is in ``docs/grading.md``.

With bubblewrap (``bwrap``) the kernel runs in new user, pid, network, IPC, UTS and cgroup
namespaces, as uid 65534, with a root file system that holds only read-only binds of the
system libraries, the grader's Python and its ``teachnn`` package, a private ``/tmp`` and a
private home (both size-limited tmpfs, the notebook's working directory) and one read-write
folder of the worker's own for the kernel's sockets.  Killing bubblewrap kills the pid
namespace, and with it every process the notebook started, detached or not.

Without bubblewrap (``sandbox="none"``) the kernel runs as the grader's own user in a fresh
temporary directory with the same resource limits; it is *not* isolated.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SANDBOX_UID = 65534           # "nobody" inside the user namespace
HOME = "/home/learner"        # the notebook's working directory inside the sandbox


@dataclass(frozen=True)
class Limits:
    """Per-notebook resource limits, applied to every process of the kernel's tree."""
    memory_mb: int = 4096         # RLIMIT_AS of each process (address space)
    cpu_seconds: int = 600        # RLIMIT_CPU of each process (a GIL-holding C loop dies too)
    tmp_mb: int = 256             # size of the private /tmp and of the home tmpfs (sandbox)
    file_mb: int = 256            # RLIMIT_FSIZE: the largest file the notebook may write
    nproc: int = 512              # pids.max of the tree's cgroup (tasks: processes and threads)


def bwrap_path():
    return shutil.which("bwrap")


def bwrap_works() -> bool:
    """True when bubblewrap is installed and may create the namespaces we ask for here."""
    exe = bwrap_path()
    if exe is None:
        return False
    # the same options as kernel_argv (an older bubblewrap lacks --disable-userns or --size)
    cmd = [exe, "--die-with-parent", "--new-session", "--unshare-all", "--unshare-user",
           "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--disable-userns",
           "--cap-drop", "ALL", *_system_binds(), "--proc", "/proc", "--dev", "/dev",
           "--size", str(2**20), "--tmpfs", "/tmp", "--remount-ro", "/", "--clearenv",
           "--", "/bin/sh", "-c", "exit 0"]
    try:
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def resolve_mode(requested: str) -> str:
    """``auto`` -> ``bwrap`` when it works here, else ``none``; ``bwrap`` must work."""
    if requested not in ("auto", "bwrap", "none"):
        raise ValueError(f"unknown sandbox {requested!r}: expected auto, bwrap or none")
    if requested == "none":
        return "none"
    if bwrap_works():
        return "bwrap"
    if requested == "bwrap":
        raise RuntimeError("bubblewrap (bwrap) is not installed or cannot create namespaces "
                           "here; install it (Debian/Ubuntu: apt-get install bubblewrap)")
    return "none"


def _system_binds():
    """Read-only binds of what a Python kernel needs from the host, and nothing else."""
    args = []
    for d in ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/sbin"):
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            args += ["--ro-bind", d, d]
    # Only the /etc files the dynamic linker and Python read: not /etc as a whole (shadow,
    # ssh keys, the teacher's configuration).
    for f in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime", "/etc/passwd",
              "/etc/group", "/etc/nsswitch.conf", "/etc/hosts", "/etc/mime.types"):
        if os.path.exists(f):
            args += ["--ro-bind", f, f]
    return args


def _python_binds():
    """The grader's Python (its installation and venv) and its teachnn (and viz) sources."""
    args, done = [], []
    for p in (sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))):
        real = os.path.realpath(p)
        if real == "/usr" or real.startswith(("/usr/", "/bin/", "/lib")):
            continue
        if any(real == d or real.startswith(d + "/") for d in done):
            continue
        done.append(real)
        args += ["--ro-bind", real, real]
        if os.path.abspath(p) != real:              # a symlinked prefix: same path inside
            args += ["--ro-bind", real, os.path.abspath(p)]
    root = package_root()
    for name in ("teachnn", "viz"):
        if (root / name).is_dir():
            args += ["--ro-bind", str(root / name), str(root / name)]
    return args


def package_root() -> Path:
    """The folder that holds the grader's own ``teachnn`` package."""
    return Path(__file__).resolve().parents[2]


def _limits_code(limits: Limits) -> str:
    """Python run just before the kernel starts: set every limit, then exec the kernel."""
    mb = 1024 * 1024
    return (
        "import ctypes, os, resource, sys\n"
        # SIGKILL when the worker dies (the kernel outside a sandbox has no pid namespace)
        "ctypes.CDLL(None).prctl(1, 9)\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({limits.memory_mb * mb}, {limits.memory_mb * mb}))\n"
        f"resource.setrlimit(resource.RLIMIT_CPU, ({limits.cpu_seconds}, {limits.cpu_seconds + 5}))\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limits.file_mb * mb}, {limits.file_mb * mb}))\n"
        # RLIMIT_NPROC counts all of the user's processes (and not root's): a coarse bound
        f"resource.setrlimit(resource.RLIMIT_NPROC, ({limits.nproc * 8}, {limits.nproc * 8}))\n"
        "resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
        "os.execv(sys.executable, [sys.executable, '-m', 'ipykernel_launcher', '-f', sys.argv[1]])\n"
    )


def kernel_env(home: str) -> dict:
    return {
        "HOME": home, "PATH": f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONPATH": str(package_root()),
        "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{home}/.mpl", "NUMBA_CACHE_DIR": f"{home}/.numba",
        "JUPYTER_RUNTIME_DIR": f"{home}/.jupyter", "IPYTHONDIR": f"{home}/.ipython",
        # one thread per kernel: several notebooks share the machine's cores
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "NUMBA_NUM_THREADS": "1",
    }


def kernel_argv(mode: str, conn_dir: str, limits: Limits) -> list:
    """The kernel's command line (``{connection_file}`` is filled in by jupyter_client).

    ``conn_dir`` is the worker's folder for the connection file and the kernel's IPC
    sockets; in the sandbox it is the only host folder the kernel can write to."""
    start = [sys.executable, "-c", _limits_code(limits), "{connection_file}"]
    if mode == "none":
        return start
    mb = 1024 * 1024
    args = [bwrap_path(), "--die-with-parent", "--new-session",
            "--unshare-all", "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
            "--disable-userns", "--cap-drop", "ALL",
            *_system_binds(), *_python_binds(),
            "--proc", "/proc", "--dev", "/dev",
            "--size", str(limits.tmp_mb * mb), "--tmpfs", "/tmp",
            "--size", str(limits.tmp_mb * mb), "--tmpfs", HOME,
            "--bind", conn_dir, conn_dir,
            # the root tmpfs that holds the mount points is made read-only last
            "--remount-ro", "/",
            "--chdir", HOME, "--clearenv"]
    for key, value in kernel_env(HOME).items():
        args += ["--setenv", key, value]
    return args + ["--", *start]


def none_env(workdir: str) -> dict:
    """Environment of an unsandboxed kernel: the same variables, its own fresh folder."""
    env = kernel_env(workdir)
    env["PYTHONPATH"] = str(package_root())
    return env


class PidsCgroup:
    """A pids cgroup for one kernel's tree, when this user may make one (root, usually).

    ``RLIMIT_NPROC`` is not enforced for processes of the host's root user, so when the
    grader runs as root a fork bomb is stopped by ``pids.max`` here instead; the cgroup also
    lists every process of the tree, so ``kill_all`` reaches them without a pid namespace."""

    def __init__(self, path):
        self.path = path

    @classmethod
    def create(cls, max_pids, name):
        for base in ("/sys/fs/cgroup/pids", "/sys/fs/cgroup"):   # cgroup v1, then v2
            if base == "/sys/fs/cgroup":
                try:
                    with open(os.path.join(base, "cgroup.controllers")) as fh:
                        if "pids" not in fh.read().split():
                            continue
                except OSError:
                    continue
            if not os.path.isdir(base) or not os.access(base, os.W_OK):
                continue
            path = os.path.join(base, name)
            try:
                os.mkdir(path)
                with open(os.path.join(path, "pids.max"), "w") as fh:
                    fh.write(str(max_pids))
                return cls(path)
            except OSError:
                try:
                    os.rmdir(path)
                except OSError:
                    pass
        return None

    def wrap(self, argv):
        """``argv`` started from inside the cgroup (the process joins, then execs)."""
        join = ("import os, sys\n"
                "open(sys.argv[1], 'w').write(str(os.getpid()))\n"
                "os.execv(sys.argv[2], sys.argv[2:])\n")
        return [sys.executable, "-c", join, os.path.join(self.path, "cgroup.procs"), *argv]

    def kill_all(self):
        for _ in range(50):
            try:
                with open(os.path.join(self.path, "cgroup.procs")) as fh:
                    pids = [int(p) for p in fh.read().split()]
            except OSError:
                return
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass
            import time
            time.sleep(0.05)

    def remove(self):
        self.kill_all()
        try:
            os.rmdir(self.path)
        except OSError:
            pass


def remove_cgroup(name):
    """Kill what is left in the cgroup ``name`` and remove it (after a worker was killed)."""
    for base in ("/sys/fs/cgroup/pids", "/sys/fs/cgroup"):
        path = os.path.join(base, name)
        if os.path.isdir(path):
            PidsCgroup(path).remove()
