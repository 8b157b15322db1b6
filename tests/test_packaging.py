"""The built wheel: complete, with every imported package declared, and runnable from anywhere.

The wheel is built the way an operator builds it (`pip wheel`, with build
isolation) from a copy of the sources, so no build/ or egg-info lands in the
checkout. It is installed with `--no-deps` into a fresh virtual environment
that sees this interpreter's packages: the dependencies come from this
interpreter instead of a download of every package (which would take minutes
and need the network), and `test_every_imported_package_is_declared` checks
the half this shortcut skips, that the wheel's metadata names each package
the code imports. What the venv does test is the part that broke: the
package's own files (SQL, migrations) found from the installed copy, the
console script, and a working directory that is not the checkout.
"""

import ast
import os
import shutil
import signal
import site
import subprocess
import sys
import time
import tomllib
import venv
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import httpx
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from service.auth import TokenVerifier
from service.paths import PROJECT_ROOT, default_data_dir
from tests.conftest import SECRET
from tests.processes import child_env, free_port, wait_until_ready

SOURCES = ("service", "sql", "migrations", "pyproject.toml", "README.md")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    for name in SOURCES:
        path = PROJECT_ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    # With build isolation, as an operator builds: pip fetches the build backend
    # (setuptools, from pyproject.toml) from the package index, or its cache.
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(work / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, f"pip wheel failed (it needs the package index for setuptools):\n{built.stderr}"
    (wheel_file,) = (work / "dist").glob("*.whl")
    return wheel_file


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed: its bin directory."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    # `--system-site-packages` reaches the base Python's packages; when this interpreter is itself a
    # virtual environment (the README's commands make one), the dependencies are in its own
    # site-packages: list them in a .pth file (its lines only extend sys.path; .pth files found
    # there, like the checkout's editable install, are not run).
    (site_packages,) = (env_dir / "lib").glob("python3*/site-packages")
    (site_packages / "test_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    bin_dir = env_dir / "bin"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(bin_dir / "python"),
            "install",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return bin_dir


def test_the_wheel_ships_every_package_sql_file_and_migration(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(PROJECT_ROOT).as_posix() for p in (PROJECT_ROOT / "service").rglob("*.py")}
    sql = {
        f"service/resources/sql/{p.relative_to(PROJECT_ROOT / 'sql').as_posix()}"
        for p in (PROJECT_ROOT / "sql").rglob("*.sql")
    }
    migrations = {f"service/resources/migrations/{p.name}" for p in (PROJECT_ROOT / "migrations").glob("*.sql")}
    assert not modules - names, "modules missing from the wheel"
    assert not sql - names, "SQL files missing from the wheel"
    assert not migrations - names, "migrations missing from the wheel"
    entry_points = zipfile.ZipFile(wheel).read("influencer_service-0.1.0.dist-info/entry_points.txt").decode()
    assert "influencer-service = service.cli:main" in entry_points


def imported_distributions() -> set[str]:
    """The distributions whose packages the service's code imports (not the standard library's)."""
    modules = set()
    for path in (PROJECT_ROOT / "service").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    modules -= {*sys.stdlib_module_names, "service"}
    providers = packages_distributions()
    unknown = {m for m in modules if m not in providers}
    assert not unknown, f"imported but not installed: {unknown}"
    return {canonicalize_name(dist) for m in modules for dist in providers[m]}


def test_every_imported_package_is_declared() -> None:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    declared = {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}
    assert imported_distributions() - declared == set()


def test_the_data_directory_of_an_installed_program_is_outside_site_packages(tmp_path: Path) -> None:
    assert default_data_dir(source_checkout=True) == PROJECT_ROOT / ".data"
    assert default_data_dir(source_checkout=False, is_root=True) == Path("/var/lib/influencer-service")
    user = default_data_dir(source_checkout=False, is_root=False, environ={"XDG_DATA_HOME": str(tmp_path)})
    assert user == tmp_path / "influencer-service"
    assert default_data_dir(source_checkout=False, is_root=False, environ={}) == (
        Path.home() / ".local" / "share" / "influencer-service"
    )


def test_the_installed_wheel_migrates_serves_and_works_from_another_directory(
    installed: Path, empty_database: str, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = child_env(DATABASE_URL=empty_database, AUTH_JWT_SECRET=SECRET, XDG_DATA_HOME=str(tmp_path / "xdg"))
    env.pop("PYTHONPATH", None)

    where = subprocess.run(
        [
            installed / "python",
            "-c",
            "import service.paths as p, service.settings as s; "
            "print(p.SQL_DIR); print(p.MIGRATIONS_DIR); print(s.load_settings().data_dir)",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    venv_root = installed.parent.resolve()
    assert [Path(p).is_relative_to(venv_root) for p in where[:2]] == [True, True], where
    assert not Path(where[2]).is_relative_to(venv_root)

    migrated = subprocess.run(
        [installed / "influencer-service", "migrate"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stdout.startswith("applied"), migrated.stdout
    assert "none pending" not in migrated.stdout

    port = free_port()
    service = subprocess.Popen(
        [installed / "influencer-service"],
        cwd=elsewhere,
        env={**env, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, service)
        token = TokenVerifier(secret=SECRET).issue("user_from_the_wheel")
        created = httpx.post(
            f"{url}/api/campaigns",
            json={"name": "Installed", "searchType": "keyword"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status_code == 201, created.text
        assert created.json()["name"] == "Installed"
    finally:
        service.send_signal(signal.SIGTERM)
        stopped = service.wait(timeout=30)
    assert stopped == 128 + signal.SIGTERM, service.stderr.read() if service.stderr else ""

    log = tmp_path / "worker.log"
    with log.open("w") as stderr:
        worker = subprocess.Popen(
            [installed / "influencer-service", "worker", "--concurrency", "1"],
            cwd=elsewhere,
            env={**env, "LOG_LEVEL": "info"},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            deadline = time.monotonic() + 60
            while "started with 1 job slot" not in log.read_text():
                assert worker.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the worker did not start within 60 s"
                time.sleep(0.1)
        finally:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=30) == 0, log.read_text()
    assert os.listdir(elsewhere) == [], "nothing is written to the working directory"
