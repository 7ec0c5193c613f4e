"""The file store for attachments: content-addressed (a file's name is its SHA-256), so writing one
before the transaction commits leaves at worst an unreferenced file if it rolls back, never a row
pointing at a wrong or missing file.

``WUYE_FILES_DIR`` names the folder; by default it is ``attachments/`` beside the SQLite file, else
``instance/attachments`` (PostgreSQL). An S3-compatible bucket is not implemented: no S3 service
could be reached from where this was built to test one for real."""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class FolderStore:
    def __init__(self, root: Path):
        self.root = root

    def _path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, content: bytes) -> str:
        """Store ``content`` (once: the same bytes twice are one file); returns its SHA-256."""
        sha = hashlib.sha256(content).hexdigest()
        path = self._path(sha)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
            with os.fdopen(fd, "wb") as f:
                f.write(content)
            os.replace(tmp, path)
        return sha

    def get(self, sha256: str) -> bytes:
        """The stored bytes, checked against their name (a file changed on disk is refused)."""
        content = self._path(sha256).read_bytes()
        if hashlib.sha256(content).hexdigest() != sha256:
            raise OSError(f"stored file {sha256} does not match its hash")
        return content


def file_store(database_file: str | None) -> FolderStore:
    named = os.environ.get("WUYE_FILES_DIR")
    if named:
        return FolderStore(Path(named))
    if database_file:
        return FolderStore(Path(database_file).resolve().parent / "attachments")
    return FolderStore(Path("instance") / "attachments")
