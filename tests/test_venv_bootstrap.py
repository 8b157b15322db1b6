"""The virtual environment the README's commands make, also where Python has no ensurepip (Debian's python3)."""

import hashlib
import http.server
import subprocess
import threading
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest

from service import venv_bootstrap


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """A local web server for `tmp_path/files` (a stand-in for PyPI)."""
    files = tmp_path / "files"
    files.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(files), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def test_a_wheel_that_is_not_the_pinned_one_is_refused(served: str, tmp_path: Path) -> None:
    (tmp_path / "files" / "pip-26.3-py3-none-any.whl").write_bytes(b"not pip")
    target = tmp_path / "download"
    target.mkdir()
    url = f"{served}/pip-26.3-py3-none-any.whl"
    with pytest.raises(ValueError, match="expected sha256"):
        venv_bootstrap.download_pip_wheel(target, url, venv_bootstrap.PIP_WHEEL_SHA256)
    assert list(target.iterdir()) == [], "nothing kept"
    wheel = venv_bootstrap.download_pip_wheel(target, url, hashlib.sha256(b"not pip").hexdigest())
    assert wheel.read_bytes() == b"not pip"


def test_without_ensurepip_the_environment_gets_pip_from_pypi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As on Debian's python3 without python3-venv: venv cannot install pip itself.
    monkeypatch.setattr(venv_bootstrap, "ensurepip_available", lambda: False)
    environment = tmp_path / ".venv"
    try:
        python = venv_bootstrap.make_environment(environment)
    except urllib.error.URLError as error:
        pytest.skip(f"PyPI (files.pythonhosted.org) cannot be reached from here: {error}")
    assert python == environment / "bin" / "python"
    version = subprocess.run([python, "-m", "pip", "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("pip 26.3 "), version.stdout
    assert str(environment) in version.stdout, "pip of the environment, not the system's"
    # A second run reuses the environment as it is.
    assert venv_bootstrap.make_environment(environment) == python
