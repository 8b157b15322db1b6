"""Where the service's CPU per request goes, by part: py-spy attached to the service under wrk.

    python -m bench.profile_service [--routes A C] [--seconds 15] [--rate 250] [--access-log false]

The service runs as in the route benchmark (one process, tokens, metrics
and the access log on, the bench dataset); for each route wrk drives it
while py-spy (`pip install py-spy`) samples it without pausing it. Each
sample is charged to the innermost frame that is not a generic standard
library helper, and that frame's code to one of the parts below; the report
gives each part's share of the samples (the process's CPU: py-spy leaves out
idle threads) and of the measured CPU per request. It is the measurement
behind "access log and metrics cost at most 5 % of a request" in
bench/RESULTS.md.
"""

import argparse
import asyncio
import re
import secrets
import shutil
import subprocess
import sysconfig
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import psutil

from bench.dataset import DATA_DIR, ensure_dataset
from bench.harness import (
    CONNECTIONS,
    OUT_DIR,
    cpu_ms_per_request,
    remove_created_campaigns,
    running_service,
    sample_targets,
)
from bench.loadgen import HttpRequest, require_wrk, run_wrk
from bench.routes import ROUTES
from bench.server import BenchServer, tcp_database
from service.migrations import apply_pending

STDLIB = sysconfig.get_paths()["stdlib"]
# The parts measured, by the file (and, in service/logs.py, the function) whose code runs.
ACCESS_LOG_FUNCTIONS = re.compile(
    r"(^|\.)(log_access|access_line|format\w*|_time|_milliseconds|_utc_seconds|filter|_SecondsText\.\w+|<lambda>)$"
)
REQUEST_ID_FUNCTIONS = re.compile(
    r"(^|\.)(RequestIds\.\w+|send_with_id|request_id_of|_RequestIdSource\.\w+|LogContext\.\w+|__call__|__init__|of_request)$"
)
PARTS = ("access log", "request id", "metrics")


def is_generic(path: str) -> bool:
    """Standard library helpers (charged to their caller), except logging, which is a part of its own."""
    return (path.startswith(STDLIB) and "/site-packages/" not in path and "/logging/" not in path) or path.startswith(
        "<"
    )


def frame_parts(frame: str) -> tuple[str, str]:
    """py-spy's `function (file:line)` as (function, file)."""
    function, _, location = frame.rpartition(" (")
    return function, location.rsplit(":", 1)[0]


def charged_frame(frames: list[str]) -> tuple[str, str] | None:
    """The innermost frame that is not a generic helper: what the sample's CPU is charged to."""
    for frame in reversed(frames):
        function, path = frame_parts(frame)
        if path and not is_generic(path):
            return function, path
    return None


def part_of(function: str, path: str) -> str:
    if ("/logging/" in path and path.startswith(STDLIB)) or path.endswith("service/log_output.py"):
        return "access log"
    if path.endswith("uvicorn/protocols/utils.py") and function.endswith(
        ("get_client_addr", "get_path_with_query_string")
    ):
        return "access log"  # the access line's fields (uvicorn's own access log, before it was replaced)
    if path.endswith("service/logs.py"):
        return "access log" if ACCESS_LOG_FUNCTIONS.search(function) else "request id"
    if "prometheus" in path or path.endswith("service/request_metrics.py"):
        return "metrics"
    return "rest"


def package_of(path: str) -> str:
    """A coarse home for the rest: the installed package, our module, or the standard library."""
    if "/site-packages/" in path:
        return path.split("/site-packages/", 1)[1].split("/", 1)[0]
    if "/service/" in path:
        return "service/" + path.rsplit("/service/", 1)[1]
    return "python"


def is_blocked(frames: list[str]) -> bool:
    """A thread asleep on a lock (the log flusher between batches): py-spy may still report it as active."""
    function, path = frame_parts(frames[-1]) if frames else ("", "")
    return path == f"{STDLIB}/threading.py" and function in ("Condition.wait", "Thread._wait_for_tstate_lock")


def read_samples(raw: Path) -> Counter[tuple[str, str]]:
    """Samples per charged (function, file), from py-spy's raw format (`frame;frame;... count`)."""
    charged: Counter[tuple[str, str]] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [f for f in stack.split(";") if " (" in f]
        if is_blocked(frames):
            continue
        frame = charged_frame(frames)
        charged[frame or ("(no Python frame)", "")] += int(count)
    return charged


def shares(charged: Counter[tuple[str, str]], key: Callable[[str, str], str]) -> list[tuple[str, float]]:
    total = sum(charged.values())
    grouped: Counter[str] = Counter()
    for (function, path), count in charged.items():
        grouped[key(function, path)] += count
    return [(name, count / total) for name, count in grouped.most_common()]


def report(route_key: str, per_request_ms: float | None, per_second: float, charged: Counter[tuple[str, str]]) -> str:
    ms = per_request_ms or 0.0
    total = sum(charged.values())
    lines = [
        f"### Route {route_key}: {per_second:,.0f} req/s, {ms:.3f} ms CPU/req, {total:,} samples",
        "",
        "| part | share of the service's CPU | ms CPU/req |",
        "| --- | --- | --- |",
    ]
    by_part = dict(shares(charged, part_of))
    for part in (*PARTS, "rest"):
        lines.append(f"| {part} | {by_part.get(part, 0):.1%} | {by_part.get(part, 0) * ms:.4f} |")
    observed = sum(by_part.get(part, 0) for part in ("access log", "metrics"))
    lines += [f"| access log + metrics | {observed:.1%} | {observed * ms:.4f} |", ""]
    lines += ["Where the rest goes (by package or module, 2 % and more):", ""]
    lines += [
        f"- {name}: {share:.1%}"
        for name, share in shares(charged, lambda f, p: package_of(p) if part_of(f, p) == "rest" else "")
        if name and share >= 0.02
    ]
    lines += ["", "Top functions (own time, generic helpers charged to their caller):", ""]
    lines += [f"- {share:.1%} {name}" for name, share in shares(charged, lambda f, p: f"{f} ({package_of(p)})")[:15]]
    return "\n".join(lines)


def profile_route(
    url: str,
    requests: list[HttpRequest],
    server: BenchServer,
    process: psutil.Popen,
    args: argparse.Namespace,
    raw: Path,
) -> tuple[float, float | None]:
    run_wrk(url, requests, connections=CONNECTIONS, server=server, process=process, seconds=args.warmup)
    spy = subprocess.Popen(
        [
            args.py_spy, "record", "--pid", str(process.pid), "--rate", str(args.rate),
            "--duration", f"{args.seconds:.0f}", "--format", "raw", "--full-filenames", "--nonblocking",
            "--output", str(raw),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    measured = run_wrk(url, requests, connections=CONNECTIONS, server=server, process=process, seconds=args.seconds)
    _, errors = spy.communicate(timeout=args.seconds + 60)
    if spy.returncode != 0 or not raw.exists():
        raise RuntimeError(f"py-spy failed: {errors[-2000:]}")
    return measured.per_second, cpu_ms_per_request(measured)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--routes", nargs="+", default=["A", "B", "C", "D"], help="route keys (default A B C D)")
    parser.add_argument("--seconds", type=float, default=15, help="profiled seconds per route")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up seconds per route")
    parser.add_argument("--rate", type=int, default=250, help="samples per second")
    parser.add_argument("--env", nargs="*", default=[], metavar="NAME=VALUE", help="settings for the service")
    parser.add_argument("--py-spy", default=shutil.which("py-spy"), help="the py-spy program")
    return parser.parse_args()


def main() -> None:
    args = parse_arguments()
    if not args.py_spy:
        raise SystemExit("py-spy is not installed: `pip install py-spy`")
    require_wrk()
    OUT_DIR.mkdir(exist_ok=True)
    secret = secrets.token_hex(32)
    extra_env = dict(setting.split("=", 1) for setting in args.env)
    sections = []
    with tcp_database(DATA_DIR) as server:
        apply_pending(server.dsn)
        asyncio.run(ensure_dataset(server.dsn))
        targets = asyncio.run(sample_targets(server.dsn, secret, 128))
        with running_service(server, secret, extra_env) as (url, process):
            for route in [r for r in ROUTES if r.key in args.routes]:
                raw = OUT_DIR / f"profile-{route.key}.txt"
                requests = [route.service_request(t) for t in targets]
                per_second, per_request = profile_route(url, requests, server, process, args, raw)
                sections.append(report(route.key, per_request, per_second, read_samples(raw)))
                print(sections[-1], flush=True)
                asyncio.run(remove_created_campaigns(server.dsn))
    (OUT_DIR / "profile.md").write_text("\n\n".join(sections) + "\n")


if __name__ == "__main__":
    main()
