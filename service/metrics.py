"""Metrics summed over API processes: prometheus_client's multiprocess mode.

Each uvicorn process has its own registry, and a scrape reaches only one of
them. With PROMETHEUS_MULTIPROC_DIR set before prometheus_client is imported,
every process writes its samples to files in that directory, and /metrics
(Litestar's controller, which looks for the variable) adds them up.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def metrics_shared_by(processes: int) -> Iterator[None]:
    """Around starting `processes` API processes: a fresh directory for their metrics, removed at the end.

    uvicorn spawns its processes, so they import prometheus_client afresh and
    see the variable. An operator's own PROMETHEUS_MULTIPROC_DIR is used as
    given; prometheus_client's documentation asks for it to be emptied
    between runs, as the one made here always is.
    """
    if processes == 1 or os.environ.get(MULTIPROCESS_DIR_VARIABLE):
        yield
        return
    directory = tempfile.mkdtemp(prefix="influencer-metrics-")
    os.environ[MULTIPROCESS_DIR_VARIABLE] = directory
    try:
        yield
    finally:
        os.environ.pop(MULTIPROCESS_DIR_VARIABLE, None)
        shutil.rmtree(directory, ignore_errors=True)
