"""One SQLite connection on one thread: every call is one hop, and writes commit in groups.

A read runs one function on the thread. A write queues a function; the thread runs every
queued write in one transaction (BEGIN IMMEDIATE, a SAVEPOINT per write when there are
several, COMMIT) and only then answers each caller: an await returns after COMMIT of the
transaction holding its rows, or raises that write's own error (its savepoint rolled back,
the others kept). One writer at a time gives one event per transaction; concurrent writers
share the hop and the commit.

The writer keeps each table chain's head (ledger.chain) in memory and hands it to the write
functions through Tx. PRAGMA data_version tells it when another connection committed to
the file, and the heads are then read again, so a second writer cannot fork a chain.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
from collections.abc import Callable
from concurrent.futures import Future as ThreadFuture
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from ledger.chain import Head, canonical, insert_sql, load_heads, row_hash
from ledger.errors import LedgerError

T = TypeVar("T")
WAL_CHECKPOINT_PAGES = 4000


class Tx:
    """What a write function receives: the connection inside the open transaction."""

    def __init__(self, db: sqlite3.Connection, heads: dict[str, Head]):
        self.db = db
        self._heads = heads

    def insert(self, table: str, values: dict[str, Any]) -> int:
        """Append one chained row to `table`; returns its rowid."""
        head = self._heads[table]
        rowid = head.rowid + 1
        row = canonical(table, values)
        digest = row_hash(table, rowid, head.hash, row)
        self.db.execute(_insert_sql(table), (rowid, *row, head.hash, digest))
        self._heads[table] = Head(rowid, digest)
        return rowid


_insert_sql = functools.cache(insert_sql)


class Database:
    def __init__(self, path: Path):
        self.path = path
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="ledger")
        self._db: sqlite3.Connection | None = None
        self._heads: dict[str, Head] = {}  # committed heads (replaced whole, never mutated)
        self._data_version: int | None = None
        self._queue: list[tuple[Callable[[Tx], Any], asyncio.Future[Any]]] = []
        self._inflight = False
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False
        # Told of every write that failed (on the event loop): the daemon's state gate
        # watches for a full or read-only state dir (daemon.host.state_gate).
        self.on_error: Callable[[BaseException], None] | None = None

    async def open(self, setup: Callable[[sqlite3.Connection], None]) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._pool, self._connect, setup)

    def _connect(self, setup: Callable[[sqlite3.Connection], None]) -> None:
        db = sqlite3.connect(self.path, isolation_level=None)  # transactions are explicit
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA busy_timeout=5000")
            # A checkpoint (the one fsync of WAL mode) every ~16 MB of WAL instead of ~4 MB:
            # successive commits rewrite the same few pages, so most of them fold away.
            db.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            setup(db)
            self._sync_heads(db)
        except BaseException:
            db.close()
            raise
        self._db = db

    async def call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(connection)` on the thread (reads, and the set-up)."""
        self._check_open()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: fn(self._db))  # type: ignore

    async def write(self, fn: Callable[[Tx], T]) -> T:
        """Run `fn(tx)` in the next group transaction; return once it is committed."""
        self._check_open()
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()
        self._queue.append((fn, done))
        self._kick(loop)
        return await done

    def heads(self) -> dict[str, Head]:
        """The committed head of every chain (as of this writer's last commit)."""
        return dict(self._heads)

    def _check_open(self) -> None:
        if self._closed:
            raise LedgerError("the ledger is closed")

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True  # no new work; what is queued still commits
        await self._idle.wait()
        if self._db is not None:
            db, self._db = self._db, None
            await asyncio.get_running_loop().run_in_executor(self._pool, db.close)
        self._pool.shutdown(wait=True)

    def _kick(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._inflight or not self._queue:
            return
        batch, self._queue = self._queue, []
        self._inflight = True
        self._idle.clear()
        job = self._pool.submit(self._commit, [fn for fn, _ in batch])

        def answer(job: ThreadFuture) -> None:
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(self._answer, loop, batch, job)

        job.add_done_callback(answer)

    def _answer(self, loop: asyncio.AbstractEventLoop, batch: list, job: ThreadFuture) -> None:
        self._inflight = False
        try:
            results = job.result()
        except Exception as exc:  # the transaction itself failed: nothing in it stands
            results = [(False, exc)] * len(batch)
        for (_, done), (ok, value) in zip(batch, results, strict=True):
            if not ok and self.on_error is not None:
                with contextlib.suppress(Exception):  # a listener never fails a write's caller
                    self.on_error(value)
            if done.done():  # its caller was cancelled; the rows stand all the same
                continue
            if ok:
                done.set_result(value)
            else:
                done.set_exception(value)
        self._kick(loop)
        if not self._inflight:
            self._idle.set()

    # -- on the thread -------------------------------------------------------------------

    def _commit(self, fns: list[Callable[[Tx], Any]]) -> list[tuple[bool, Any]]:
        db = self._db
        assert db is not None, "the ledger is closed"
        db.execute("BEGIN IMMEDIATE")
        try:
            self._sync_heads(db)
            heads = dict(self._heads)
            out = [self._one(db, heads, fn, alone=len(fns) == 1) for fn in fns]
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        self._heads = heads
        return out

    @staticmethod
    def _one(db: sqlite3.Connection, heads: dict[str, Head], fn: Callable[[Tx], Any], *,
             alone: bool) -> tuple[bool, Any]:
        if alone:  # its own transaction: an error rolls the whole of it back (in _commit)
            return True, fn(Tx(db, heads))
        saved = dict(heads)
        db.execute("SAVEPOINT event")
        try:
            value = fn(Tx(db, heads))
        except Exception as exc:
            db.execute("ROLLBACK TO event")
            db.execute("RELEASE event")
            heads.clear()
            heads.update(saved)
            return False, exc
        db.execute("RELEASE event")
        return True, value

    def _sync_heads(self, db: sqlite3.Connection) -> None:
        """Re-read the heads when another connection committed since we last looked."""
        version = db.execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self._heads = load_heads(db)
            self._data_version = version
