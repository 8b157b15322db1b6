"""`python main.py` with no DATABASE_URL: embedded PostgreSQL that keeps data and stops with the service."""

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psutil

from service.embedded import server_pid
from service.paths import PROJECT_ROOT
from tests.processes import child_env, running_service


def token(data_dir: Path, user_id: str) -> str:
    done = subprocess.run(
        [sys.executable, "main.py", "token", user_id],
        cwd=PROJECT_ROOT,
        env=child_env(DATA_DIR=str(data_dir)),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_data_survives_a_restart_and_no_postgres_survives_sigterm_or_ctrl_c(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = child_env(DATA_DIR=str(data_dir))
    with running_service(env, stop=signal.SIGTERM) as (base, first):
        headers = {"Authorization": f"Bearer {token(data_dir, 'user_restart')}"}
        created = httpx.post(f"{base}/api/campaigns", json={"name": "Kept", "searchType": "similar"}, headers=headers)
        assert created.status_code == 201
        postgres = server_pid(data_dir)
        assert postgres is not None
    assert first.returncode == 128 + signal.SIGTERM
    assert not psutil.pid_exists(postgres) or psutil.Process(postgres).status() == psutil.STATUS_ZOMBIE
    assert server_pid(data_dir) is None

    with running_service(env, stop=signal.SIGINT) as (base, second):
        listed = httpx.get(f"{base}/api/campaigns", headers=headers)
        assert [c["id"] for c in listed.json()["campaigns"]] == [created.json()["id"]]
    assert second.returncode == 128 + signal.SIGINT
    assert server_pid(data_dir) is None
