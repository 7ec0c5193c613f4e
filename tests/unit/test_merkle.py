"""The Merkle tree's hashing is RFC 6962's: the Certificate Transparency test vectors, and inclusion
proofs that verify for every leaf and fail for any other leaf, index or root."""
from __future__ import annotations

import pytest

from storage.merkle import _path, leaf_hash, root_of, verify_inclusion

# RFC 6962 test vectors (certificate-transparency merkle_tree_test): leaf inputs and the tree roots
LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
ROOTS = ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]


def test_the_roots_are_those_of_the_certificate_transparency_vectors():
    leaves = [leaf_hash(x) for x in LEAVES]
    assert [root_of(leaves[:n]).hex() for n in range(1, 9)] == ROOTS
    assert root_of([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 13, 64, 100])
def test_every_leaf_proves_its_inclusion_and_nothing_else_does(size):
    leaves = [leaf_hash(f"{i:064x}") for i in range(size)]
    root = root_of(leaves)
    for i in range(size):
        proof = _path(i, 0, size, lambda lo, hi: root_of(leaves[lo:hi]))
        assert len(proof) <= size.bit_length()
        assert verify_inclusion(i, size, leaves[i], proof, root)
        other = leaves[(i + 1) % size]
        if size > 1:
            assert not verify_inclusion(i, size, other, proof, root)               # another event
            assert not verify_inclusion((i + 1) % size, size, leaves[i], proof, root)   # another place
        assert not verify_inclusion(i, size, leaves[i], proof, leaf_hash("ff" * 32))    # another log
