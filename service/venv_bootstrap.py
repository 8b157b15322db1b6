"""Make the project's virtual environment (.venv) and install the project into it, from a stock Python.

`python3 -m service.venv_bootstrap [--dev]` is what `python3 -m venv .venv && .venv/bin/pip install -e .`
would be, on every Python 3.11+: Debian's and Ubuntu's `python3` ship without `ensurepip` (it is
in the separate `python3-venv` package) and without pip, so there `venv` cannot put pip in the
environment. Then this module makes the environment without pip, downloads pip's wheel from PyPI,
checks it against the hash pinned here, and lets that wheel install pip into the environment (pip's
wheel runs from the file itself). Standard library only: nothing else is installed yet.
"""

import argparse
import hashlib
import subprocess
import sys
import tempfile
import urllib.request
import venv
from pathlib import Path

# pip's release wheel on PyPI, and its sha256 (as PyPI publishes it).
PIP_WHEEL_URL = (
    "https://files.pythonhosted.org/packages/07/25/ee8c38ae72d66b844ce8eb9711ba905dba21ca1a8a0c960057c41cd23337/"
    "pip-26.3-py3-none-any.whl"
)
PIP_WHEEL_SHA256 = "f3b60b20ffaadd4415ed7957212a38ac63fa4c5fa375bd0f4a797777940fad13"
DOWNLOAD_TIMEOUT_SECONDS = 120
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def ensurepip_available() -> bool:
    try:
        import ensurepip  # noqa: F401 (only whether it exists matters)
    except ImportError:
        return False
    return True


def environment_python(environment: Path) -> Path:
    return environment / "bin" / "python"


def has_pip(python: Path) -> bool:
    return subprocess.run([python, "-m", "pip", "--version"], capture_output=True).returncode == 0


def download_pip_wheel(directory: Path, url: str = PIP_WHEEL_URL, sha256: str = PIP_WHEEL_SHA256) -> Path:
    """pip's wheel, downloaded into `directory`; ValueError if it is not the pinned file."""
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:
        content: bytes = response.read()
    if hashlib.sha256(content).hexdigest() != sha256:
        raise ValueError(f"{url} does not have the expected sha256 {sha256}: not installing it")
    wheel = directory / url.rsplit("/", 1)[-1]
    wheel.write_bytes(content)
    return wheel


def install_pip(python: Path) -> None:
    """Put pip into the environment of `python`, from PyPI (a wheel is runnable: `python pip.whl/pip`)."""
    with tempfile.TemporaryDirectory(prefix="pip-wheel-") as directory:
        wheel = download_pip_wheel(Path(directory))
        subprocess.run([python, str(wheel / "pip"), "install", "--no-index", "--quiet", str(wheel)], check=True)


def make_environment(environment: Path) -> Path:
    """The environment's python, after creating the environment (if needed) with pip in it."""
    python = environment_python(environment)
    if not python.exists():
        venv.EnvBuilder(with_pip=ensurepip_available()).create(environment)
    if not has_pip(python):
        install_pip(python)
    return python


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python3 -m service.venv_bootstrap", description=__doc__.split("\n")[0])
    parser.add_argument("--dev", action="store_true", help="also the test and lint tools (the dev extra)")
    parser.add_argument("--path", type=Path, default=PROJECT_ROOT / ".venv", help="where (default: .venv)")
    args = parser.parse_args(argv)
    python = make_environment(args.path)
    target = f"{PROJECT_ROOT}[dev]" if args.dev else str(PROJECT_ROOT)
    subprocess.run([python, "-m", "pip", "install", "-e", target], check=True)
    print(f"{args.path} is ready: activate it with  . {args.path}/bin/activate", file=sys.stderr)


if __name__ == "__main__":
    main()
