"""Keep everything a user gave: the raw archive and the quarantine.

Contract:
- ``RawArchive.put(page)`` writes ``raw/<sha[:2]>/<sha>`` (the bytes exactly as fetched,
  content-addressed, so the same bytes are stored once) and appends the fetch to
  ``raw/<sha[:2]>/<sha>.json`` (every source and time it was fetched from). Writes are atomic
  (temporary file + rename): a crash never leaves a half-written page.
- ``Quarantine.put(item, content=None)`` records a page set aside — source, reason, stage,
  time — in ``quarantine/<id>.json``, with the bytes beside it when we have them.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ._models import RawPage, SetAside, sha256_hex, stable_id
from .errors import LoadError
from .fetch import fetch_metadata, utcnow


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise LoadError(f"cannot write {path}: {exc.strerror or exc}") from exc


class RawArchive:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha: str) -> Path:
        return self.root / sha[:2] / sha

    def has(self, sha: str) -> bool:
        return self.path(sha).is_file()

    def read(self, sha: str) -> bytes:
        return self.path(sha).read_bytes()

    def put(self, page: RawPage) -> Path:
        path = self.path(page.sha256)
        if not path.is_file():
            _atomic_write(path, page.content)
        meta_path = path.with_name(path.name + ".json")
        fetches = []
        if meta_path.is_file():
            try:
                fetches = json.loads(meta_path.read_text(encoding="utf-8")).get("fetches", [])
            except (OSError, ValueError):
                fetches = []
        entry = fetch_metadata(page)
        key = (entry["source"], entry["fetched_at"])
        if key not in {(f.get("source"), f.get("fetched_at")) for f in fetches}:
            fetches.append(entry)
        doc = {"sha256": page.sha256, "bytes": len(page.content), "fetches": fetches[-100:]}
        _atomic_write(meta_path, json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"))
        return path

    def __iter__(self):  # type: ignore[no-untyped-def]
        if not self.root.is_dir():
            return
        for meta in sorted(self.root.glob("*/*.json")):
            yield json.loads(meta.read_text(encoding="utf-8"))


class Quarantine:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, item: SetAside, content: bytes | None = None) -> Path:
        sha = item.sha256 or (sha256_hex(content) if content is not None else None)
        ident = sha[:16] if sha else stable_id(item.source, item.reason)
        record = {"source": item.source, "reason": item.reason, "stage": item.stage, "sha256": sha,
                  "set_aside_at": utcnow()}
        if content is not None:
            _atomic_write(self.root / f"{ident}.bin", content)
            record["content"] = f"{ident}.bin"
        path = self.root / f"{ident}.json"
        _atomic_write(path, json.dumps(record, ensure_ascii=False, indent=1).encode("utf-8"))
        return path

    def records(self) -> list[dict[str, object]]:
        if not self.root.is_dir():
            return []
        return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(self.root.glob("*.json"))]
