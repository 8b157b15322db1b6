"""Where log lines go: a stream, written in batches rather than one system call a line.

With a line per request, writing each one on its own (a lock, a write, a
flush) was a visible share of a request's CPU. Lines now wait in memory for
at most `flush_seconds` and leave together; a WARNING or worse leaves at once,
with every line before it, so problems are never late or out of order, and
the buffer is written out when the handler closes (logging's exit hook, a
reconfiguration). What is lost to a SIGKILL is at most the last fraction of a
second of INFO lines.
"""

import logging
import os
import sys
import threading
import traceback
import weakref
from typing import TextIO

FLUSH_SECONDS = 0.2
MAX_BUFFERED_LINES = 1000  # about 0.3 s of access lines at full load; bounds the memory a burst can take


class BatchingStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A StreamHandler that writes its lines in batches: on a short timer, at WARNING and above, and on close."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        flush_seconds: float = FLUSH_SECONDS,
        max_lines: int = MAX_BUFFERED_LINES,
    ) -> None:
        super().__init__(stream)
        self.flush_seconds = flush_seconds
        self.max_lines = max_lines
        self._lines: list[str] = []
        self._pending = threading.Event()
        self._closing = threading.Event()
        self._flusher: threading.Thread | None = None
        this = weakref.ref(self)

        def forget_parents_lines() -> None:
            handler = this()
            if handler is not None:
                handler._after_fork()

        os.register_at_fork(after_in_child=forget_parents_lines)

    def emit(self, record: logging.LogRecord) -> None:
        # Called with self.lock held (Handler.handle).
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        self._add(line, urgent=record.levelno >= logging.WARNING)

    def write_line(self, line: str) -> None:
        """Add a line formatted elsewhere (service.logs' access lines), as an INFO record's would be."""
        with self.lock:  # type: ignore[union-attr]  # created by Handler.__init__
            self._add(line, urgent=False)

    def _add(self, line: str, *, urgent: bool) -> None:
        self._lines.append(line)
        if urgent or len(self._lines) >= self.max_lines or self._closing.is_set():
            self._write()
        elif not self._pending.is_set():
            if self._flusher is None:
                self._flusher = threading.Thread(target=self._flush_periodically, name="log-flusher", daemon=True)
                self._flusher.start()
            self._pending.set()

    def _write(self) -> None:
        """Write out the buffer (the caller holds self.lock)."""
        lines, self._lines = self._lines, []
        if not lines:
            return
        try:
            self.stream.write("\n".join(lines) + "\n")
            self.stream.flush()
        except Exception:
            # As logging does for one record's failed write (Handler.handleError), but for a batch.
            if logging.raiseExceptions and sys.stderr:
                sys.stderr.write(f"--- Logging error: {len(lines)} line(s) not written ---\n")
                traceback.print_exc(file=sys.stderr)

    def _flush_periodically(self) -> None:
        while True:
            self._pending.wait()
            if self._closing.wait(self.flush_seconds):
                return  # close() writes what is left
            self._pending.clear()
            self.flush()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            if self._lines:
                self._write()
            elif self.stream and hasattr(self.stream, "flush"):
                self.stream.flush()

    def close(self) -> None:
        self._closing.set()
        self._pending.set()
        flusher = self._flusher
        if flusher is not None and flusher is not threading.current_thread():
            flusher.join()
        self.flush()
        super().close()

    def setStream(self, stream: TextIO) -> TextIO | None:  # noqa: N802 (logging's name)
        # Lines buffered for the old stream go to it, not to the new one.
        self.flush()
        return super().setStream(stream)

    def _after_fork(self) -> None:
        # The parent writes what it had buffered; the child has no flusher thread yet.
        self._lines = []
        self._pending = threading.Event()
        self._flusher = None
