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

    def tree_memory_bytes(self) -> int:
        """The whole tree's memory (its cgroup): one process's worth plus both tmpfs."""
        return (self.memory_mb + 2 * self.tmp_mb) * 1024 * 1024


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
           "--cap-drop", "ALL", "--size", str(2**20), "--tmpfs", "/tmp", *_system_binds(),
           "--proc", "/proc", "--dev", "/dev", "--remount-ro", "/", "--clearenv",
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
            # the private /tmp and home first: the grader's Python, teachnn and the socket
            # folder may themselves lie under /tmp (a checkout there), and a later tmpfs
            # would hide their binds
            "--size", str(limits.tmp_mb * mb), "--tmpfs", "/tmp",
            "--size", str(limits.tmp_mb * mb), "--tmpfs", HOME,
            *_system_binds(), *_python_binds(),
            "--proc", "/proc", "--dev", "/dev",
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


class TreeCgroup:
    """Cgroups for one kernel's whole process tree, when this user may make them (root).

    ``pids.max`` bounds its tasks (``RLIMIT_NPROC`` does not bind the host root's
    processes) and the memory limit bounds the tree's total memory, tmpfs included
    (``RLIMIT_AS`` bounds each process only: thirty children of 1 GB each would pass it).
    The cgroups also list every process of the tree, so ``kill_all`` reaches all of them
    even without a pid namespace.  Made under the grader's own cgroup, so the machine's
    or the container's limits still apply above them.  cgroup v1 (``pids`` and ``memory``
    hierarchies) or v2 (a child with the ``pids`` and ``memory`` controllers)."""

    def __init__(self, paths):
        self.paths = paths            # the cgroup folders the tree joins

    @staticmethod
    def _own_paths():
        """{controller or "": path in its hierarchy} from /proc/self/cgroup."""
        own = {}
        try:
            with open("/proc/self/cgroup") as fh:
                for line in fh:
                    _, controllers, path = line.rstrip("\n").split(":", 2)
                    for c in (controllers.split(",") if controllers else [""]):
                        own[c] = path
        except OSError:
            pass
        return own

    @classmethod
    def create(cls, name, max_pids, memory_bytes):
        own, paths = cls._own_paths(), []
        limits = {"pids": {"pids.max": str(max_pids)},
                  "memory": {"memory.limit_in_bytes": str(memory_bytes)}}
        for controller in ("pids", "memory"):                        # cgroup v1
            base = os.path.join("/sys/fs/cgroup", controller)
            if controller in own and os.path.isdir(base) and \
                    not os.path.exists(os.path.join("/sys/fs/cgroup", "cgroup.controllers")):
                path = cls._make(os.path.join(base + own[controller], name), limits[controller])
                if path:
                    paths.append(path)
        if not paths and "" in own and os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
            parent = "/sys/fs/cgroup" + own[""]                       # cgroup v2
            try:
                with open(os.path.join(parent, "cgroup.subtree_control"), "w") as fh:
                    fh.write("+pids +memory")
            except OSError:
                pass
            path = cls._make(os.path.join(parent, name),
                             {"pids.max": str(max_pids), "memory.max": str(memory_bytes),
                              "memory.swap.max": "0"})
            if path:
                paths.append(path)
        return cls(paths) if paths else None

    @staticmethod
    def _make(path, settings):
        try:
            os.mkdir(path)
        except OSError:
            return None
        done = False
        for key, value in settings.items():
            try:
                with open(os.path.join(path, key), "w") as fh:
                    fh.write(value)
                done = True
            except OSError:
                pass
        if not done:
            try:
                os.rmdir(path)
            except OSError:
                pass
            return None
        return path

    def wrap(self, argv):
        """``argv`` started from inside the cgroups (the process joins, then execs)."""
        join = ("import os, sys\n"
                "n = int(sys.argv[1])\n"
                "for procs in sys.argv[2:2 + n]:\n"
                "    open(procs, 'w').write(str(os.getpid()))\n"
                "os.execv(sys.argv[2 + n], sys.argv[2 + n:])\n")
        procs = [os.path.join(p, "cgroup.procs") for p in self.paths]
        return [sys.executable, "-c", join, str(len(procs)), *procs, *argv]

    def kill_all(self):
        import time
        for _ in range(100):
            pids = set()
            for path in self.paths:
                try:
                    with open(os.path.join(path, "cgroup.procs")) as fh:
                        pids.update(int(p) for p in fh.read().split())
                except OSError:
                    pass
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass
            time.sleep(0.05)

    def remove(self):
        self.kill_all()
        for path in self.paths:
            try:
                os.rmdir(path)
            except OSError:
                pass


def remove_cgroups(name):
    """Kill what is left in the cgroups called ``name`` and remove them (after a worker
    was killed before it could)."""
    own, paths = TreeCgroup._own_paths(), []
    for controller in ("pids", "memory"):
        if controller in own:
            paths.append(os.path.join("/sys/fs/cgroup", controller + own[controller], name))
    if "" in own:
        paths.append(os.path.join("/sys/fs/cgroup" + own[""], name))
    TreeCgroup([p for p in paths if os.path.isdir(p)]).remove()
