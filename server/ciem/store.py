"""Persisting the index so that a restart serves without collecting again.

The index is written to a temporary file beside the target, flushed to disk, then renamed over the
old one: a crash at any moment leaves either the previous index or the new one, never half of one.
The file is a pickle, so it is only ever read from a state folder that belongs to this user and that
no one else can write to.
"""

from __future__ import annotations

import os
import pickle
import stat
import tempfile
from pathlib import Path

from ciem.errors import ConfigError
from ciem.gcpause import paused_gc
from ciem.index import EffectiveAccessIndex

INDEX_FILE = "index.pickle"
_MAGIC = b"CIEM-INDEX\x00"
_FORMAT = 10


def prepare_state_dir(state_dir: Path) -> Path:
    """Create the state folder with owner-only permissions, or refuse one others can write to."""
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = state_dir.stat()
    if info.st_uid != os.getuid():
        raise ConfigError(f"{state_dir}: the state folder belongs to another user")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigError(f"{state_dir}: the state folder is writable by others; chmod 700 it")
    return state_dir


def save_index(index: EffectiveAccessIndex, state_dir: Path) -> Path:
    prepare_state_dir(state_dir)
    target = state_dir / INDEX_FILE
    handle, temporary = tempfile.mkstemp(prefix=".index-", dir=state_dir)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(_MAGIC + bytes([_FORMAT]))
            pickle.dump(index, out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(state_dir, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return target


def load_index(state_dir: Path) -> EffectiveAccessIndex | None:
    """The last index saved in ``state_dir``, or ``None`` if there is none or it is of another format."""
    target = state_dir / INDEX_FILE
    if not target.exists():
        return None
    prepare_state_dir(state_dir)
    with open(target, "rb") as source:
        header = source.read(len(_MAGIC) + 1)
        if header != _MAGIC + bytes([_FORMAT]):
            return None
        with paused_gc():
            index = pickle.load(source)
    return index if isinstance(index, EffectiveAccessIndex) else None
