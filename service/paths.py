"""Where the service's own files live, wherever it runs from.

The SQL and the migrations sit at the top of the source tree (`sql/`,
`migrations/`), where DBAs and yoyo look for them, and a built wheel ships the
same files inside the package as `service/resources/` (pyproject.toml maps
them). A source checkout (or an editable install) reads the top-level
directories; an installed package reads its own copy. aiosql and yoyo need real
directories: a wheel installs unpacked, so the package's resources are files.
"""

import os
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path

APP_NAME = "influencer-service"
PACKAGE_DIR = Path(str(files("service")))
PROJECT_ROOT = PACKAGE_DIR.parent
"""The source checkout's root (in an installed package: its site-packages directory)."""
IS_SOURCE_CHECKOUT = not (PACKAGE_DIR / "resources").is_dir()


def _resource(name: str) -> Path:
    return PROJECT_ROOT / name if IS_SOURCE_CHECKOUT else PACKAGE_DIR / "resources" / name


SQL_DIR = _resource("sql")
MIGRATIONS_DIR = _resource("migrations")


def default_data_dir(
    *, source_checkout: bool = IS_SOURCE_CHECKOUT, is_root: bool | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """Where the embedded database lives unless DATA_DIR says otherwise.

    A source checkout keeps it in `.data/` beside the code. An installed
    program must not write into site-packages: it uses the user's data
    directory (`$XDG_DATA_HOME`, else `~/.local/share`), or `/var/lib` when run
    as root, because the embedded server makes every parent of its directory
    world-listable and root's home should stay private.
    """
    if source_checkout:
        return PROJECT_ROOT / ".data"
    if is_root if is_root is not None else os.geteuid() == 0:
        return Path("/var/lib") / APP_NAME
    base = (os.environ if environ is None else environ).get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP_NAME
