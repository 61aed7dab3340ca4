"""The sandbox each grading kernel runs in: bubblewrap (``bwrap``), plus resource limits.

What the kernel sees (see :func:`bwrap_command`):

* a new, empty root filesystem holding only read-only copies of the system directories
  (``/usr`` and the ``/lib``, ``/bin`` links), a few files of ``/etc`` (the dynamic linker's
  cache, passwd, group), the Python installation, the environment's ``site-packages`` and the
  ``nnlib`` package directory itself. Not the solutions, not the submissions, not the
  repository (nor its ``.git``), not the home directory, not the grader's temporary files;
* a private, size-limited ``/tmp`` (its working directory), gone when the run ends;
* read-only, the pinned data wheels of ``nnlib.data`` (and their parsed forms) from the
  grader's data cache, at ``/opt/nnbook-data`` (``NNBOOK_DATA_DIR``): exercises on real data
  load them as the chapters do, with no network. Only those files, never the rest of the cache
  directory; warm the cache on the grading machine with ``python -m nnlib.data fetch``;
* its own process, network, IPC, UTS and cgroup namespaces: it cannot see, signal or trace the
  grader or other kernels, and has no network but its own loopback;
* a new session (no terminal to inject keystrokes into), no capabilities, ``no_new_privs``, and,
  when the grader runs as root, its own unprivileged uid (one per parallel slot), so file
  permissions and per-user process limits apply to it as to any stranger;
* limits on address space, CPU time, processes, file size and open files (set by the kernel
  process on itself before any student code runs);
* a cleared environment: none of the grader's variables (``GITHUB_*`` tokens, paths) reach it.

When the run ends (or is stopped), the grader kills the namespace's first process, which makes
the kernel kill everything left inside; ``--die-with-parent`` does the same if the grader dies.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ETC_FILES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "passwd",
    "group",
    "nsswitch.conf",
    "localtime",
    "alternatives",
)
SYSTEM_DIRS = ("usr", "lib", "lib32", "lib64", "libx32", "bin", "sbin")


def uid_block() -> int:
    """The first of a block of 64 unused uids for one grading run's kernels (root only), drawn at
    random above 1,000,000: two grading runs on one machine never share a uid (per-user process
    limits would otherwise let one run's fork bomb starve the other's kernels)."""
    import secrets

    return 1_000_000 + secrets.randbelow(2**30 // 64) * 64


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or does not work here."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one grading kernel."""

    memory_mb: int = 3072
    processes: int = 64
    file_mb: int = 64
    tmp_mb: int = 256
    open_files: int = 256

    def rlimits(self, cpu_seconds: float, sandboxed_root: bool) -> dict[str, int]:
        out = {
            "as": self.memory_mb * 2**20,
            "cpu": int(cpu_seconds) + 1,
            "fsize": self.file_mb * 2**20,
            "nofile": self.open_files,
            "core": 0,
        }
        if sandboxed_root:  # per-uid count: only meaningful when the slot has its own uid
            out["nproc"] = self.processes
        return out


def find_bwrap() -> str | None:
    """Path of ``bwrap``, or None (``NNBOOK_BWRAP`` overrides the search, for tests)."""
    override = os.environ.get("NNBOOK_BWRAP")
    if override is not None:
        return override if os.access(override, os.X_OK) else None
    return shutil.which("bwrap")


def nnlib_dir() -> Path:
    """The directory of the nnlib package the grader runs (bound read-only into the sandbox)."""
    import nnlib

    return Path(nnlib.__file__).resolve().parent


def _python_roots() -> list[Path]:
    roots = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
    exe = Path(sys.executable)
    roots.add(exe.parent.parent.resolve() if exe.parent.name == "bin" else exe.parent.resolve())
    real = exe.resolve()
    roots.add(real.parent.parent if real.parent.name == "bin" else real.parent)
    out = []
    for r in sorted(roots, key=lambda p: len(p.parts)):
        if r == Path("/") or any(r.is_relative_to(o) for o in out):
            continue
        if r.parts[1:2] and r.parts[1] in SYSTEM_DIRS:
            continue  # covered by the system directories
        out.append(r)
    return out


def _dirs(path: Path, made: set[Path]) -> list[str]:
    """``--perms 0755 --dir`` for every missing ancestor (bwrap would make them 0700)."""
    args = []
    for parent in reversed(path.parents):
        if parent == Path("/") or parent in made:
            continue
        made.add(parent)
        args += ["--perms", "0755", "--dir", str(parent)]
    return args


DATA_DIR = "/opt/nnbook-data"  # where the sandbox sees the data files (NNBOOK_DATA_DIR)


def data_files() -> list[Path]:
    """The pinned data wheels of ``nnlib.data`` in the grader's cache, and the files parsed from
    them (``derived/``), that exist: public data sets, all a kernel may read of the cache."""
    from ..data.cache import WHEELS, cache_dir

    root = cache_dir()
    files = [root / spec.filename for spec in WHEELS.values()]
    derived = root / "derived"
    if derived.is_dir():
        prefixes = tuple(f"{spec.key}-{spec.sha256[:12]}-" for spec in WHEELS.values())
        files += sorted(p for p in derived.iterdir() if p.name.startswith(prefixes))
    return [p for p in files if p.is_file() and not p.is_symlink()]


def _data_binds(made: set[Path]) -> list[str]:
    """bwrap arguments binding :func:`data_files` read-only under :data:`DATA_DIR`."""
    files = data_files()
    if not files:
        return []
    root = Path(DATA_DIR)
    args = _dirs(root / "derived" / "x", made)  # /opt, /opt/nnbook-data, .../derived
    for f in files:
        dest = root / "derived" / f.name if f.parent.name == "derived" else root / f.name
        args += ["--ro-bind", str(f), str(dest)]
    return args


def bwrap_command(
    inner: list[str], limits: Limits, extra_env: dict[str, str], info_fd: int
) -> list[str]:
    """The bwrap command line that runs ``inner`` in a fresh sandbox."""
    bwrap = find_bwrap()
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
    args = [bwrap]
    made: set[Path] = set()
    for name in SYSTEM_DIRS:
        p = Path("/") / name
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), str(p)]
        elif p.is_dir():
            args += ["--ro-bind", str(p), str(p)]
    args += ["--perms", "0755", "--dir", "/etc"]
    made.add(Path("/etc"))
    for name in ETC_FILES:
        p = Path("/etc") / name
        if p.exists():
            args += ["--ro-bind", str(p), str(p)]
    args += [
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--size",
        str(limits.tmp_mb * 2**20),
        "--perms",
        "1777",
        "--tmpfs",
        "/tmp",
        "--perms",
        "0777",
        "--dir",
        "/tmp/home",
        "--perms",
        "0777",
        "--dir",
        "/tmp/work",
    ]
    # after the tmpfs: a package under /tmp (a throwaway copy) must stay visible
    made |= {Path("/tmp"), Path("/tmp/home"), Path("/tmp/work")}
    for root in _python_roots():
        args += _dirs(root, made) + ["--ro-bind", str(root), str(root)]
        made.add(root)
    pkg = nnlib_dir()
    if not any(pkg.is_relative_to(r) for r in _python_roots()):
        args += _dirs(pkg, made) + ["--ro-bind", str(pkg), str(pkg)]
    args += _data_binds(made)
    args += [
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "nnbook-sandbox",
        "--die-with-parent",
        "--new-session",
        "--info-fd",
        str(info_fd),
        "--chdir",
        "/tmp/work",
        "--clearenv",
    ]
    if os.getuid() == 0:
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        args += ["--unshare-user", "--disable-userns"]
    env = {**sandbox_env("/tmp/home"), "NNBOOK_DATA_DIR": DATA_DIR, **extra_env}
    if nnlib_dir().parent != Path(sys.prefix).resolve():
        env["PYTHONPATH"] = str(nnlib_dir().parent)
    for k, v in env.items():
        args += ["--setenv", k, v]
    return args + ["--"] + inner


def sandbox_env(home: str) -> dict[str, str]:
    """The whole environment of a grading kernel (nothing inherited from the grader)."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TMPDIR": "/tmp",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{home}/.matplotlib",
        "IPYTHONDIR": f"{home}/.ipython",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONHASHSEED": "0",
        "NO_COLOR": "1",
        "TERM": "dumb",
    }


@functools.lru_cache(maxsize=1)
def probe() -> str | None:
    """None if the sandbox works here; otherwise why not (cached)."""
    if find_bwrap() is None:
        return (
            "bubblewrap (bwrap) is not installed; install it (Debian/Ubuntu: "
            "`apt-get install bubblewrap`) or grade with --no-sandbox on a machine that holds "
            "nothing of value"
        )
    r, w = os.pipe()
    try:
        cmd = bwrap_command(
            [sys.executable, "-c", "import nnlib, numpy; print('ok')"], Limits(), {}, w
        )
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=60, pass_fds=(w,), stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired, SandboxUnavailable) as exc:
        return f"bubblewrap does not run here ({exc})"
    finally:
        os.close(r)
        os.close(w)
    if proc.returncode != 0 or proc.stdout.strip() != "ok":
        tail = (proc.stderr or proc.stdout).strip()[-500:]
        return f"bubblewrap does not work here (exit {proc.returncode}): {tail}"
    return None
