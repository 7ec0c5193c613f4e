"""A Merkle tree over the event log (RFC 6962 / RFC 9162 hashing), beside the hash chain.

The chain (storage/chain.py) proves the log is whole only to someone who walks all of it, and whoever
holds the database can rebuild it. The tree gives the log one root hash per size — what a signed
checkpoint commits to — and, for any one event, an inclusion proof of O(log n) hashes that checks it
against a root without the rest of the log.

Leaf i (from 0) is event seq i + 1: ``SHA-256(0x00 || event hash)``; an inner node is
``SHA-256(0x01 || left || right)``, the left subtree always the largest power of two. Perfect,
aligned subtrees of at least ``BLOCK`` leaves are stored (``merkle_nodes``, extended from the log
when a root or a proof is asked for), so a root or a proof at a million events reads a few dozen
stored nodes and at most a block or two of event hashes; nothing below a block is stored."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from storage.models import AuditCheckpoint, Base, Event, MerkleNode
from storage.prepared import Prepared

_EVENTS = Base.metadata.tables[Event.__tablename__]
_NODES = Base.metadata.tables[MerkleNode.__tablename__]
_BLOCK_HASHES = Prepared(select(_EVENTS.c.hash).where(_EVENTS.c.seq > bindparam("lo"), _EVENTS.c.seq <= bindparam("hi"))
                         .order_by(_EVENTS.c.seq))
_NODE = Prepared(select(_NODES.c.hash).where(_NODES.c.level == bindparam("level"), _NODES.c.idx == bindparam("idx")))

BLOCK_LEVEL = 8
BLOCK = 1 << BLOCK_LEVEL          # leaves under the smallest stored node


def leaf_hash(event_hash: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(event_hash)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two below ``n`` (n > 1): the size of the left subtree."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes (the empty tree's root is SHA-256 of nothing)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(root_of(leaves[:k]), root_of(leaves[k:]))


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does ``proof`` show leaf ``index`` of a tree of ``size`` leaves under ``root``?"""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


class MerkleRepository:
    """The tree of the events stored in this database."""

    def __init__(self, session: Session):
        self.s = session
        self._blocks: dict[int, list[bytes]] = {}     # block -> its leaf hashes, read in this unit of work

    # -- what is stored ---------------------------------------------------------------------------

    def size(self) -> int:
        """How many events the log holds (seq runs from 1 without gaps in a log that verifies)."""
        return int(self.s.scalar(select(func.coalesce(func.max(Event.seq), 0))) or 0)

    def _leaves(self, lo: int, hi: int) -> list[bytes]:
        """Leaf hashes [lo, hi), read a whole block at a time: a proof's siblings below a block all
        come from the one block its leaf is in."""
        out: list[bytes] = []
        for block in range(lo // BLOCK, (hi - 1) // BLOCK + 1):
            leaves = self._blocks.get(block)
            if leaves is None:
                rows = _BLOCK_HASHES.rows(self.s, {"lo": block * BLOCK, "hi": (block + 1) * BLOCK})
                leaves = [leaf_hash(h) for (h,) in rows]
                if len(leaves) == BLOCK:          # a whole block never changes; the log's last one grows
                    self._blocks[block] = leaves
            first = block * BLOCK
            out += leaves[max(lo - first, 0):hi - first]
        if len(out) != hi - lo:
            raise ValueError(f"events {lo + 1}..{hi} are not all in the log (found {len(out)})")
        return out

    def _stored(self, level: int, index: int) -> bytes | None:
        rows = _NODE.rows(self.s, {"level": level, "idx": index})
        return bytes.fromhex(rows[0][0]) if rows else None

    def extend(self, upto: int | None = None) -> int:
        """Store the nodes of every whole block of the first ``upto`` events (the whole log by
        default) not stored yet; returns how many nodes were written. Idempotent: a node is only
        ever computed from the events below it, which never change in a log that verifies."""
        upto = self.size() if upto is None else upto
        have = self.s.scalar(select(func.coalesce(func.max(MerkleNode.idx) + 1, 0))
                             .where(MerkleNode.level == BLOCK_LEVEL)) or 0
        written = 0
        for block in range(int(have), upto // BLOCK):
            digest = root_of(self._leaves(block * BLOCK, (block + 1) * BLOCK))
            level, index = BLOCK_LEVEL, block
            self.s.add(MerkleNode(level=level, idx=index, hash=digest.hex()))
            written += 1
            while index & 1:                   # a right child completes its parent
                left = self._stored(level, index - 1)
                if left is None:
                    self.s.flush()
                    left = self._stored(level, index - 1)
                assert left is not None, "stored left sibling"
                digest, level, index = node_hash(left, digest), level + 1, index >> 1
                self.s.add(MerkleNode(level=level, idx=index, hash=digest.hex()))
                written += 1
            self.s.flush()
        return written

    # -- roots and proofs -------------------------------------------------------------------------

    def _subtree(self, lo: int, hi: int) -> bytes:
        """MTH of leaves [lo, hi): a stored node when the range is a whole aligned subtree of at
        least a block, else computed (from the event hashes below a block)."""
        n = hi - lo
        if n >= BLOCK and n & (n - 1) == 0 and lo % n == 0:
            stored = self._stored(n.bit_length() - 1, lo // n)
            if stored is not None:
                return stored
        if n <= BLOCK:
            return root_of(self._leaves(lo, hi))
        k = _split(n)
        return node_hash(self._subtree(lo, lo + k), self._subtree(lo + k, hi))

    def root(self, size: int) -> bytes:
        """The root of the tree of the first ``size`` events (from the stored nodes as far as
        ``extend`` has gone, from the event hashes beyond)."""
        return self._subtree(0, size) if size else root_of([])

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """RFC 6962 PATH(index, D[0:size]): the sibling hashes from leaf ``index`` up to the root."""
        if not 0 <= index < size:
            raise ValueError(f"leaf {index} is not in a tree of {size}")
        return _path(index, 0, size, self._subtree)


def _path(m: int, lo: int, hi: int, subtree: Callable[[int, int], bytes]) -> list[bytes]:
    if hi - lo == 1:
        return []
    k = _split(hi - lo)
    if m < k:
        return [*_path(m, lo, lo + k, subtree), subtree(lo + k, hi)]
    return [*_path(m - k, lo + k, hi, subtree), subtree(lo, lo + k)]


class CheckpointRepository:
    def __init__(self, session: Session):
        self.s = session

    def add(self, checkpoint: AuditCheckpoint) -> AuditCheckpoint:
        self.s.add(checkpoint)
        self.s.flush()
        return checkpoint

    def latest(self) -> AuditCheckpoint | None:
        return self.s.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)).first()
