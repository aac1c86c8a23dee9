"""The ranking index's matrices, kept between imports under a fingerprint of the texts they were built from.

Building ``ClaimIndex`` for the 10,000-claim synthetic knowledge base in a new process read 85,000 term counts and
23,000 stored vectors (75 MB) from the database and assembled them into matrices: about a second of an import,
repeated by every new process although the claims rarely change between two imports. The matrices depend only on
the texts (``importer.extract.lexical_key`` and ``semantic_key`` hash the term analysis or the model and every
claim text and quote in order), so they are kept here under that hash: the last two in this process's memory, and
the last few in files in ``KB_INDEX_CACHE_DIR`` (``.cache/claim-index`` by default; empty: memory only) that every
process of the machine reads.

The claims themselves are still read from the database by every import and every "refresh suggestions": the
fingerprint is taken from the rows just read, so a claim edited, deleted or quoted a moment ago gives another
fingerprint, and its index is built afresh (from the per-text caches, ``TextTerms`` and ``TextEmbedding``) and kept
in turn. Nothing here can offer a claim that is not in the database now. Files are derived data: deleting them is
safe, and an unreadable one is deleted and built again. A directory anyone may write to is not used (memory only).
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
import threading
import time
import zipfile
from collections import OrderedDict
from contextlib import suppress
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

SUFFIX = ".npz"
_CSR = ("data", "indices", "indptr", "shape")  # a CSR matrix is kept as these four arrays
_SEPARATOR = "~"


def _flat(arrays: dict) -> dict[str, np.ndarray]:
    flat = {}
    for name, value in arrays.items():
        if isinstance(value, tuple):
            flat.update({f"{name}{_SEPARATOR}{part}": array for part, array in zip(_CSR, value, strict=True)})
        else:
            flat[name] = value
    return flat


def _nested(flat: dict[str, np.ndarray]) -> dict:
    arrays, matrices = {}, {}
    for name, value in flat.items():
        if _SEPARATOR in name:
            base, part = name.split(_SEPARATOR, 1)
            matrices.setdefault(base, {})[part] = value
        else:
            arrays[name] = value
    arrays.update({base: tuple(parts[p] for p in _CSR) for base, parts in matrices.items()})
    return arrays


class IndexStore:
    """Arrays by key: the ``memory`` most recently used in this process, and the ``files`` most recently used in
    ``directory`` (none without one)."""

    def __init__(self, directory: str | Path | None = None, memory: int = 2, files: int = 4):
        self.directory = Path(directory) if directory else None
        self.memory_limit, self.files_limit = memory, files
        self.memory: OrderedDict[str, dict] = OrderedDict()
        self._lock = threading.Lock()  # a worker's threads may build indexes at once

    def _path(self, key: str) -> Path:
        if not key.isalnum():  # a hex digest: never a path of its own
            raise ValueError(f"not a key: {key!r}")
        return self.directory / f"{key}{SUFFIX}"

    def _remember(self, key: str, arrays: dict) -> None:
        with self._lock:
            self.memory[key] = arrays
            self.memory.move_to_end(key)
            while len(self.memory) > self.memory_limit:
                self.memory.popitem(last=False)

    def _trusted(self) -> bool:
        """Whether the directory's files may be read and written: not when anyone may write there (another user of
        the machine could leave matrices under the next key, and every import would rank against them)."""
        try:
            mode = self.directory.stat().st_mode
        except OSError:
            return True  # not there yet: ``put`` makes it, as the process's own
        if mode & stat.S_IWOTH:
            log.warning("Not using the index directory %s: anyone may write to it", self.directory)
            return False
        return True

    def get(self, key: str) -> dict | None:
        """The arrays kept under ``key``, or None."""
        with self._lock:
            if key in self.memory:
                self.memory.move_to_end(key)
                return self.memory[key]
        if self.directory is None or not self._trusted():
            return None
        path = self._path(key)
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = _nested({name: data[name] for name in data.files})
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:  # cut short, or not such a file
            log.warning("Deleting the unreadable index file %s: %s", path, error)
            with suppress(OSError):
                path.unlink()
            return None
        except OSError as error:  # the directory itself cannot be read
            log.warning("Cannot read the index file %s: %s", path, error)
            return None
        with suppress(OSError):
            os.utime(path)  # recently used: among the last to be pruned
        self._remember(key, arrays)
        return arrays

    def put(self, key: str, arrays: dict) -> None:
        """Keep ``arrays`` under ``key``: in memory, and in a file written whole before it takes its name (a reader
        never sees half of it). A directory that cannot be written only costs the next process a rebuild."""
        self._remember(key, arrays)
        if self.directory is None:
            return
        temporary = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            if not self._trusted():
                return
            with tempfile.NamedTemporaryFile(dir=self.directory, suffix=".tmp", delete=False) as file:
                temporary = Path(file.name)
                np.savez(file, **_flat(arrays))
            temporary.chmod(0o644)  # readable by the site's other processes, as any file it writes
            os.replace(temporary, self._path(key))
        except OSError as error:
            log.warning("Could not keep the index in %s: %s", self.directory, error)
            if temporary is not None:
                temporary.unlink(missing_ok=True)
            return
        self.prune()

    def prune(self) -> None:
        """Delete all but the ``files`` most recently used files, and temporary files an hour old."""
        if self.directory is None or not self.directory.is_dir():
            return
        kept = sorted(self.directory.glob(f"*{SUFFIX}"), key=_mtime, reverse=True)
        old = [p for p in self.directory.glob("*.tmp") if _mtime(p) < time.time() - 3600]
        for path in kept[self.files_limit :] + old:
            with suppress(OSError):
                path.unlink()

    def clear(self) -> None:
        """Forget what this process holds (the files stay)."""
        with self._lock:
            self.memory.clear()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0
