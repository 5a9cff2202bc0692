"""One writer at a time per index folder, across processes: the app and `rag ingest` (or two
imports) may run at once on the same folder.

Embedded Chroma keeps its vector graph in memory per process and writes it back to the folder;
two processes writing at once could each write back a graph without the other's vectors, and a
process reading the folder while another rewrites it finds files half there ("Nothing found on
disk"). So every write to the stores (a batch of an import — after its sentences are embedded,
which is the slow part — a delete, the healing on open) holds an exclusive lock on
`<db>/write.lock`, and every read of the vectors a shared one (flock: the kernel releases it when
the process dies, even by SIGKILL). A question waits at most for one batch to be written, never
for the model. Re-entrant within a thread; a thread that writes may read.

After another process has written, a reader reopens its view of the vectors (Index.sync, by the
index's generation number in SQLite).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

try:
    import fcntl
except ImportError:  # Windows: one process per index folder is the rule there
    fcntl = None  # type: ignore[assignment]


class IndexLock(Protocol):
    """The index's lock across processes: `held()` to write (re-entrant), `shared()` to read the
    vectors. WriteLock (flock on the index folder) and pgstore.AdvisoryLock (PostgreSQL) keep it."""

    def held(self) -> AbstractContextManager[None]: ...

    def shared(self) -> AbstractContextManager[None]: ...


class ReentrantLock:
    """An exclusive lock across processes (`_acquire`/`_release`, in a subclass) held re-entrantly
    within one thread of this process; other threads of the process queue first on a local lock."""

    def __init__(self) -> None:
        self._local = threading.RLock()
        self._depth = 0
        self._owner: int | None = None  # the thread that holds the exclusive lock

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._local:
            if self._depth == 0:
                self._acquire()
                self._owner = threading.get_ident()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._owner = None
                    self._release()

    def _acquire(self) -> None:
        raise NotImplementedError

    def _release(self) -> None:
        raise NotImplementedError


class WriteLock(ReentrantLock):
    def __init__(self, path: Path, say: bool = True):
        super().__init__()
        self.path = path
        self.say = say
        self._fd: int | None = None

    @contextmanager
    def shared(self) -> Iterator[None]:
        """Read the stores while no other process writes them."""
        if fcntl is None or self._owner == threading.get_ident():
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            self._wait(fd, fcntl.LOCK_SH, "reading")
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def _acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            self._wait(fd, fcntl.LOCK_EX, "writing")
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"process {os.getpid()}".encode("ascii"), 0)
        self._fd = fd

    def _wait(self, fd: int, mode: int, doing: str) -> None:
        """flock, saying once (after a second) whom it waits for."""
        started, said = time.monotonic(), False
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if self.say and not said and time.monotonic() - started > 1.0:
                    holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "another process"
                    print(f"isnad: {doing} waits for {holder} to finish writing the index in "
                          f"{self.path.parent}", file=sys.stderr, flush=True)
                    said = True
                time.sleep(0.02)
        if said:
            print(f"isnad: {doing} (waited {time.monotonic() - started:.1f} s)", file=sys.stderr, flush=True)

    def _release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
