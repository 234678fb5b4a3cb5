"""First-run set-up for ``python3 main.py``: a virtual environment with what the lab needs.

Standard library only: this runs under whatever Python launched ``main.py``. It creates
``.venv`` beside the repository, installs the lab (editable) with torch and re-runs the
command inside that environment. A stamp of ``pyproject.toml`` skips the install when
nothing changed.

Torch is chosen for the machine: first a wheel already on local disk (on the lab's
machines torch 2.13.0 is a CPU build kept there); else, on Linux without an NVIDIA GPU,
the CPU-only wheel index, so no multi-GB CUDA build lands on a machine that cannot use it;
else PyPI's default build (CUDA on Linux with a GPU, MPS on macOS).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
STAMP = VENV / ".mgai-lab-installed"
TORCH = "torch==2.13.0"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
SKIP_TORCH = "MGAI_LAB_NO_TORCH"  # set to 1 to install without torch


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def _project_hash() -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update(os.environ.get(SKIP_TORCH, "").encode())
    return digest.hexdigest()


def _installed() -> tuple[str, set[str]]:
    """(project hash, extras) recorded by the last successful install, or ("", set())."""
    try:
        digest, _, extras = STAMP.read_text().strip().partition(" ")
    except OSError:
        return "", set()
    return digest, set(filter(None, extras.split(",")))


def _pip(*args: str, quiet: bool = True, silent: bool = False) -> int:
    command = [str(venv_python()), "-m", "pip", "install", "--disable-pip-version-check"]
    if quiet:
        command.append("-q")
    stream = subprocess.DEVNULL if silent else None
    return subprocess.call([*command, *args], stdout=stream, stderr=stream)


def _has_nvidia_gpu() -> bool:
    return shutil.which("nvidia-smi") is not None


def _local_torch_wheel() -> bool:
    """Whether pip finds the pinned torch without an index (a wheel on local disk)."""
    return _pip("--dry-run", "--no-index", "--no-deps", TORCH, silent=True) == 0


def install_torch() -> None:
    """Install torch with the build that suits this machine (see the module docstring)."""
    if _local_torch_wheel():
        # the local build (e.g. 2.13.0+cpu) outranks PyPI's 2.13.0; its dependencies come
        # from the usual index
        if _pip(TORCH) == 0:
            return
    elif sys.platform.startswith("linux") and not _has_nvidia_gpu():
        print("mgai-lab: no NVIDIA GPU found; installing the CPU build of torch", flush=True)
        if _pip("--extra-index-url", TORCH_CPU_INDEX, "--timeout", "20", "--retries", "1",
                TORCH) == 0:
            return
    if _pip(TORCH, quiet=False) != 0:
        raise SystemExit("mgai-lab: could not install torch; set MGAI_LAB_NO_TORCH=1 to run "
                         "the lab without the experiments that need it")


def ensure_environment(extras: tuple[str, ...] = ()) -> None:
    """Make sure ``.venv`` holds the lab and ``extras``; re-run this command inside it.

    Returns only when the current interpreter is the environment's and it is up to date.
    """
    digest, installed = _installed()
    if digest != _project_hash() or not set(extras) <= installed:
        # keep extras installed earlier (e.g. "test") when the project has not changed
        extras = tuple(sorted(set(extras) | (installed if digest == _project_hash() else set())))
        if not venv_python().exists():
            print(f"mgai-lab: creating the environment in {VENV}", flush=True)
            venv.EnvBuilder(with_pip=True).create(VENV)
        print("mgai-lab: installing the lab and its dependencies (first run only)", flush=True)
        wanted = list(extras)
        if not os.environ.get(SKIP_TORCH):
            install_torch()
            wanted.append("torch")
        target = f"{ROOT}[{','.join(wanted)}]" if wanted else str(ROOT)
        if _pip("-e", target) != 0:
            raise SystemExit("mgai-lab: installing the lab failed (see pip's message above)")
        # byte-compile the lab's own sources now: with PYTHONDONTWRITEBYTECODE set (as on
        # the lab's machines) every launch would otherwise recompile them (~0.2 s)
        subprocess.call([str(venv_python()), "-m", "compileall", "-q",
                         *(str(ROOT / d) for d in ("mgai_lab", "panels", "compute"))])
        STAMP.write_text(f"{_project_hash()} {','.join(extras)}\n")
    if not _in_venv():
        python = str(venv_python())
        if os.name == "nt":  # os.execv does not replace the process on Windows
            raise SystemExit(subprocess.call([python, *sys.argv]))
        os.execv(python, [python, *sys.argv])
