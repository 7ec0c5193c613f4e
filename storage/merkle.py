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
from storage.prepared import Prepared, driver_of

_EVENTS = Base.metadata.tables[Event.__tablename__]
_NODES = Base.metadata.tables[MerkleNode.__tablename__]
_BLOCK_HASHES = Prepared(select(_EVENTS.c.hash).where(_EVENTS.c.seq > bindparam("lo"), _EVENTS.c.seq <= bindparam("hi"))
                         .order_by(_EVENTS.c.seq))
_SIZE = Prepared(select(func.max(_EVENTS.c.seq)))
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
        self._blocks: dict[int, list[bytes]] = {}     # block -> its leaf hashes (so far), read in this unit of work
        self._nodes: dict[tuple[int, int], bytes] = {}   # (level, idx) -> a stored node read by ``prefetch``

    # -- what is stored ---------------------------------------------------------------------------

    def size(self) -> int:
        """How many events the log holds (seq runs from 1 without gaps in a log that verifies)."""
        # a bare max(): SQLite reads it off the end of the key; coalesce() around it scanned every row
        rows = _SIZE.rows(self.s, {})
        return int(rows[0][0] or 0) if rows else 0

    def _leaves(self, lo: int, hi: int) -> list[bytes]:
        """Leaf hashes [lo, hi), read a whole block at a time: a proof's siblings below a block all
        come from the one block its leaf is in."""
        out: list[bytes] = []
        for block in range(lo // BLOCK, (hi - 1) // BLOCK + 1):
            first = block * BLOCK
            leaves = self._blocks.get(block)
            if leaves is None or len(leaves) < min(hi - first, BLOCK):   # the log's last block grows
                rows = _BLOCK_HASHES.rows(self.s, {"lo": first, "hi": first + BLOCK})
                leaves = self._blocks[block] = [leaf_hash(h) for (h,) in rows]
            out += leaves[max(lo - first, 0):hi - first]
        if len(out) != hi - lo:
            raise ValueError(f"events {lo + 1}..{hi} are not all in the log (found {len(out)})")
        return out

    def _stored(self, level: int, index: int) -> bytes | None:
        found = self._nodes.get((level, index))
        if found is not None:
            return found
        rows = _NODE.rows(self.s, {"level": level, "idx": index})
        return bytes.fromhex(rows[0][0]) if rows else None

    def prefetch(self, index: int, size: int) -> None:
        """Read, in one query each, every stored node and every block of event hashes that the root
        of ``size`` and leaf ``index``'s proof need (O(log n) nodes, at most two blocks), instead of
        a query per node. What is not stored yet (beyond ``extend``) is still read as it is met."""
        nodes: set[tuple[int, int]] = set()
        blocks: set[int] = set()

        def need(lo: int, hi: int) -> bytes:
            n = hi - lo
            if n >= BLOCK and n & (n - 1) == 0 and lo % n == 0:
                nodes.add((n.bit_length() - 1, lo // n))
            elif n <= BLOCK:
                blocks.update(range(lo // BLOCK, (hi - 1) // BLOCK + 1))
            else:
                k = _split(n)
                need(lo, lo + k)
                need(lo + k, hi)
            return b""

        need(0, size)
        if 0 <= index < size:
            _path(index, 0, size, need)
            blocks.add(index // BLOCK)          # the leaf itself
        _dialect, driver = driver_of(self.s)
        cursor = driver.cursor()
        try:
            if nodes:       # integers written in: no statement to compile, one round trip
                cursor.execute("SELECT level, idx, hash FROM merkle_nodes WHERE "
                               + " OR ".join(f"(level = {int(lv)} AND idx = {int(ix)})" for lv, ix in sorted(nodes)))
                self._nodes.update(((lv, ix), bytes.fromhex(h)) for lv, ix, h in cursor.fetchall())
            wanted = [b for b in sorted(blocks) if len(self._blocks.get(b, ())) < BLOCK]
            if wanted:
                cursor.execute("SELECT seq, hash FROM events WHERE "
                               + " OR ".join(f"(seq > {int(b) * BLOCK} AND seq <= {(int(b) + 1) * BLOCK})"
                                             for b in wanted) + " ORDER BY seq")
                read: dict[int, list[bytes]] = {b: [] for b in wanted}
                for seq, h in cursor.fetchall():
                    read[(seq - 1) // BLOCK].append(leaf_hash(h))
                self._blocks.update(read)
        finally:
            cursor.close()

    def extend(self, upto: int | None = None) -> int:
        """Store the nodes of every whole block of the first ``upto`` events (the whole log by
        default) not stored yet; returns how many nodes were written. Idempotent: a node is only
        ever computed from the events below it, which never change in a log that verifies."""
        upto = self.size() if upto is None else upto
        last = self.s.scalar(select(MerkleNode.idx).where(MerkleNode.level == BLOCK_LEVEL)
                             .order_by(MerkleNode.idx.desc()).limit(1))
        have = 0 if last is None else last + 1
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
