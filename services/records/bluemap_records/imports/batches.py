"""An import file cut into batches of validated rows, in a worker thread or in a second process.

Reading, decoding and validating a row costs about as much Python CPU as writing it. In a thread
both share one interpreter lock; a reader process works on the other core while this one writes,
and hands batches over as pickled tuples (a pickled dataclass costs several times more to load).
"""

import gc
import pickle
import struct
import subprocess
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from bluemap_records.imports.parsing import ImportFile, RowProblem, SourceRow
from bluemap_records.imports.validation import Checked, EnterpriseFields, Identity, ValidRow, validate_block
from bluemap_records.records.content import RecordContent, max_year

# Files smaller than this are read in a thread: starting a process costs about a second of CPU.
PROCESS_MIN_BYTES = 8 * 1024 * 1024
_LENGTH = struct.Struct("<Q")


@dataclass
class Batch:
    """Rows of the file read together: the valid ones (distinct identities) and the rejected ones."""

    valid: list[ValidRow] = field(default_factory=list)
    rejected: list[tuple[SourceRow | ValidRow, list[RowProblem]]] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.valid) + len(self.rejected)


class BatchReader:
    """Reads and validates rows into batches; blocking, meant for a worker thread."""

    def __init__(self, source: ImportFile, batch_size: int, *, latest_year: int | None = None) -> None:
        self._blocks = source.blocks(batch_size)
        self._header = source.header
        self._checked: Iterator[Checked] = iter(())
        self._batch_size = batch_size
        self._latest_year = latest_year if latest_year is not None else max_year()
        self._carried: ValidRow | None = None

    def _next_checked(self) -> Checked | None:
        while (checked := next(self._checked, None)) is None:
            block = next(self._blocks, None)
            if block is None:
                return None
            self._checked = iter(validate_block(block, self._header, latest_year=self._latest_year))
        return checked

    def next_batch(self) -> Batch | None:
        """The next batch, None at the end. A record seen twice ends a batch, so the second sees the first."""
        batch = Batch()
        seen: set[Identity] = set()
        if self._carried is not None:
            batch.valid.append(self._carried)
            seen.add(self._carried.identity)
            self._carried = None
        while batch.size < self._batch_size:
            checked = self._next_checked()
            if checked is None:
                break
            if isinstance(checked, tuple):
                batch.rejected.append(checked)
                continue
            identity = checked.identity
            if identity in seen:
                self._carried = checked
                break
            seen.add(identity)
            batch.valid.append(checked)
        return batch if batch.size else None

    def close(self) -> None:
        """Nothing to release: the caller closes the source."""


# The wire form of a batch: plain tuples, which pickle and unpickle several times faster.
_Packed = tuple[list[tuple[Any, ...]], list[tuple[int, list[str], list[tuple[str, str]]]]]


def pack(batch: Batch) -> _Packed:
    valid = []
    for row in batch.valid:
        e, c = row.enterprise, row.content
        valid.append(
            (
                row.line,
                row.uscc,
                e.name,
                e.name_en,
                e.region_code,
                e.email,
                c.record_type,
                c.year,
                c.source_title,
                c.issuing_authority,
                c.issued_on.toordinal(),
                c.source_url,
                c.summary,
                c.external_id,
                row.sha256,
                row.raw,
            )
        )
    rejected = [(row.line, row.raw, [(p.column, p.reason) for p in problems]) for row, problems in batch.rejected]
    return valid, rejected


def unpack(packed: _Packed) -> Batch:
    valid, rejected = packed
    from_ordinal = date.fromordinal
    return Batch(
        valid=[
            ValidRow(
                line,
                uscc,
                EnterpriseFields(name, name_en, region_code, email),
                RecordContent(record_type, year, title, authority, from_ordinal(issued_on), url, summary, external_id),
                sha256,
                raw,
            )
            for (
                line,
                uscc,
                name,
                name_en,
                region_code,
                email,
                record_type,
                year,
                title,
                authority,
                issued_on,
                url,
                summary,
                external_id,
                sha256,
                raw,
            ) in valid
        ],
        rejected=[
            (SourceRow(line, {}, raw), [RowProblem(column, reason) for column, reason in problems])
            for line, raw, problems in rejected
        ],
    )


class ReaderFailed(RuntimeError):
    """The reader process failed or ended without finishing the file."""


def _read_in_process(argv: list[str], out: BinaryIO) -> None:
    """The reader process: every batch of the file as a length-prefixed pickle on out, then None."""
    path, encoding, file_format, batch_size, latest_year = argv
    try:
        with ImportFile.open(Path(path), encoding=encoding, format=file_format) as source:
            reader = BatchReader(source, int(batch_size), latest_year=int(latest_year))
            while True:
                batch = reader.next_batch()
                packed = pack(batch) if batch is not None else None
                _send(out, ("batch", packed, source.bytes_read, source.unknown_columns))
                if batch is None:
                    return
    except BrokenPipeError:
        return  # the importer stopped reading
    except BaseException:
        _send(out, ("failed", traceback.format_exc(), 0, []))


def _send(out: BinaryIO, message: tuple[Any, ...]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_LENGTH.pack(len(data)))
    out.write(data)
    out.flush()


class ProcessBatchReader:
    """BatchReader in a child process reading the same file; blocking, meant for a worker thread.

    The child is `python -m bluemap_records.imports.batches`, not a multiprocessing one: spawning
    would import the parent's main module again, and forking a process with threads is unsafe.
    The pipe holds little, so the child runs about one batch ahead and memory stays constant. The
    source's bytes_read and unknown_columns follow the child's.
    """

    def __init__(self, source: ImportFile, batch_size: int) -> None:
        assert source.path is not None, "a reader process reads the file by its path"
        self._source = source
        self._done = False
        args = [str(source.path), source.encoding, source.format, str(batch_size), str(max_year())]
        self._process = subprocess.Popen(  # this interpreter, this module, our arguments
            [sys.executable, "-m", "bluemap_records.imports.batches", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
        )
        assert self._process.stdout is not None
        self._pipe = self._process.stdout

    def _read(self, size: int) -> bytes:
        data = self._pipe.read(size)
        if len(data) != size:
            code = self._process.wait(timeout=5)
            raise ReaderFailed(f"the reader process ended unexpectedly (exit code {code})")
        return data

    def next_batch(self) -> Batch | None:
        return self.decode(self.receive())

    def receive(self) -> bytes | None:
        """The next batch as the child sent it (a few MB, where the objects take several times more)."""
        if self._done:
            return None
        header = self._pipe.read(_LENGTH.size)
        if len(header) != _LENGTH.size:
            code = self._process.wait(timeout=5)
            if not header and code == 0:
                return None  # it sent its last batch, and decode() has not seen it yet
            raise ReaderFailed(f"the reader process ended unexpectedly (exit code {code})")
        (length,) = _LENGTH.unpack(header)
        return self._read(length)

    def decode(self, message: bytes | None) -> Batch | None:
        """The batch of a message from receive(); None at the end."""
        if message is None:
            return None
        # Our own child's output, never outside data.
        kind, packed, bytes_read, unknown_columns = pickle.loads(message)  # noqa: S301
        if kind == "failed":
            raise ReaderFailed(f"the reader process failed:\n{packed}")
        self._source.bytes_read = bytes_read
        self._source.unknown_columns = unknown_columns
        if packed is None:
            self._done = True
            return None
        return unpack(packed)

    def close(self) -> None:
        """Stop the child (it may be blocked on a full pipe) and reap it."""
        self._pipe.close()
        if self._process.poll() is None:
            self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def reader_for(source: ImportFile, batch_size: int, *, mode: str = "auto") -> BatchReader | ProcessBatchReader:
    """As mode says, "thread" or "process"; "auto": a thread for a file on the fast path, else a process for
    a large file on disk.

    The fast path reads a row for a fifth of the per-row path's CPU: handing its batches to another
    process would cost more than it saves.
    """
    large = source.path is not None and source.size >= PROCESS_MIN_BYTES
    if mode == "process" or (mode == "auto" and large and not source.fast):
        return ProcessBatchReader(source, batch_size)
    return BatchReader(source, batch_size)


if __name__ == "__main__":
    # Each batch allocates some hundred thousand objects and frees them all, none in a cycle:
    # collecting every 700 allocations was a sixth of the reader's CPU.
    gc.set_threshold(100_000, 50, 100)
    _read_in_process(sys.argv[1:], sys.stdout.buffer)
