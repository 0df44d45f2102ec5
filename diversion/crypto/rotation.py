"""Key rotation: rewrapping data keys under a new master key, rebuilding blind indexes, rewriting user fields.

Rotating master keys, step by step:

1. put the new key first in the configured list, keeping the old one after it, and deploy;
2. :func:`rotate_data_keys` (the CLI wraps it in a progress bar): it rewraps in committed batches, so it can be
   interrupted at any point and run again to resume;
3. rebuild the blind indexes under the new index keys (:func:`rebuild_blind_indexes`, wired by the app to its
   tables; search with :func:`diversion.crypto.blind.search_index_keys` meanwhile) and rewrite user fields
   (:func:`reencrypt_fields`);
4. when ``count_pending_rotation()`` is 0 and those are done, remove the old master key from the configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from diversion.crypto.errors import KeyConfigurationError, RewrapError
from diversion.crypto.fields import encrypted_fields, is_unreadable
from diversion.crypto.keystore import KeyStore

Progress = Callable[[int, int], None]
RowId = TypeVar("RowId")


@dataclass
class RotationResult:
    """What a rotation run did: keys rewrapped, keys that failed (client id → reason), keys still pending."""

    rewrapped: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    pending: int = 0


def rotate_data_keys(keystore: KeyStore, batch_size: int = 500, progress: Progress | None = None) -> RotationResult:
    """Rewrap every data key under the active master key, batch by batch, reporting progress(done, total).

    Resumable: each batch commits, and keys already under the active key are skipped. Every master key that a
    pending key names must still be configured, or KeyConfigurationError is raised before anything changes. Keys
    that fail to unwrap are skipped and listed in the result.
    """
    configured = set(keystore.keyring.ids)
    missing = keystore.pending_master_key_ids() - configured
    if missing:
        raise KeyConfigurationError(
            f"Data keys are wrapped under master key(s) {', '.join(sorted(missing))}, which are not configured."
        )
    result = RotationResult()
    total = keystore.count_pending_rotation()
    if progress is not None:
        progress(0, total)
    while True:
        try:
            count = keystore.rewrap_batch(batch_size, exclude=result.failed.keys())
            new_failures = 0
        except RewrapError as error:
            count = error.rewrapped
            new_failures = len(error.failures)
            result.failed.update(error.failures)
        result.rewrapped += count
        # Keys created under an old key by a server not yet redeployed can grow the total mid-run.
        total = max(total, result.rewrapped + len(result.failed))
        if progress is not None:
            progress(result.rewrapped + len(result.failed), total)
        if count == 0 and new_failures == 0:
            break
    result.pending = keystore.count_pending_rotation()
    return result


@dataclass
class RebuildResult:
    """What an index rebuild did: rows given a new index value, and rows left without one (unreadable parts)."""

    rebuilt: int = 0
    skipped: int = 0


def rebuild_blind_indexes(
    rows: Iterable[tuple[RowId, Sequence[str | None]]],
    compute: Callable[[Sequence[str]], bytes],
    store: Callable[[list[tuple[RowId, bytes | None]]], None],
    *,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> RebuildResult:
    """Recompute blind indexes for (row id, plaintext parts) rows and hand them to ``store`` in batches.

    ``compute`` maps the parts to an index value (e.g. ``lambda p: name_dob_index(new_key, *p, bits=14)``);
    ``store`` writes one batch and commits. A row with a missing or unreadable part is stored with None, so it no
    longer matches anything under the old key. Resumable when the app's ``rows`` skips rows already rebuilt.
    """
    if batch_size < 1:
        raise ValueError("batch_size is at least 1.")
    result = RebuildResult()
    batch: list[tuple[RowId, bytes | None]] = []

    def flush() -> None:
        if batch:
            store(list(batch))
            batch.clear()
            if progress is not None:
                progress(result.rebuilt + result.skipped)

    for row_id, parts in rows:
        readable = [part for part in parts if part is not None and not is_unreadable(part)]
        if len(readable) != len(parts):
            batch.append((row_id, None))
            result.skipped += 1
        else:
            try:
                batch.append((row_id, compute(readable)))
                result.rebuilt += 1
            except ValueError:
                batch.append((row_id, None))
                result.skipped += 1
        if len(batch) >= batch_size:
            flush()
    flush()
    return result


def reencrypt_fields(objects: Iterable[object], names: Sequence[str] | None = None) -> int:
    """Rewrite encrypted attributes with the current keys (user fields after a master-key change); returns count.

    Readable values are decrypted and written back, so they take the active key; unreadable ones are left as they
    are. The caller commits.
    """
    count = 0
    for obj in objects:
        fields = encrypted_fields(type(obj))
        for name in names if names is not None else list(fields):
            value = getattr(obj, name)
            if value is None or is_unreadable(value):
                continue
            setattr(obj, name, value)
            count += 1
    return count
