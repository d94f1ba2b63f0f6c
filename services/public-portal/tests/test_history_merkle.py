"""RFC 9162 tree algorithms: the Certificate Transparency reference vectors and properties over random sizes."""

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bluemap_portal.history import leaves, merkle

# The eight leaves of Certificate Transparency's reference tests, and MTH of the first 1..8.
CT_LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                          "606162636465666768696a6b6c6d6e6f")]  # fmt: skip
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip
CT_CONSISTENCY = [
    (2, 8, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip
HASHES = [merkle.leaf_hash(leaf) for leaf in CT_LEAVES]
BLOCKS = merkle.blocks_from_leaves(HASHES)


def test_empty_tree_hash_is_sha256_of_nothing() -> None:
    assert merkle.mth([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle.Frontier.empty().root() == merkle.EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_reference_vectors(size: int) -> None:
    assert merkle.mth(HASHES[:size]).hex() == CT_ROOTS[size - 1]
    assert merkle.root_of(size, BLOCKS).hex() == CT_ROOTS[size - 1]
    frontier = merkle.Frontier.empty()
    frontier.extend(HASHES[:size])
    assert frontier.root().hex() == CT_ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "proof"), CT_INCLUSION)
def test_inclusion_proofs_match_the_reference_vectors(index: int, size: int, proof: list[str]) -> None:
    assert [h.hex() for h in merkle.inclusion_proof(index, size, BLOCKS)] == proof
    root = bytes.fromhex(CT_ROOTS[size - 1])
    assert merkle.verify_inclusion(HASHES[index], index, size, [bytes.fromhex(h) for h in proof], root)
    assert not merkle.verify_inclusion(HASHES[index ^ 1], index, size, [bytes.fromhex(h) for h in proof], root)


@pytest.mark.parametrize(("old", "new", "proof"), CT_CONSISTENCY)
def test_consistency_proofs_match_the_reference_vectors(old: int, new: int, proof: list[str]) -> None:
    assert [h.hex() for h in merkle.consistency_proof(old, new, BLOCKS)] == proof
    old_root, new_root = bytes.fromhex(CT_ROOTS[old - 1]), bytes.fromhex(CT_ROOTS[new - 1])
    assert merkle.verify_consistency(old, new, old_root, new_root, [bytes.fromhex(h) for h in proof])
    assert not merkle.verify_consistency(old, new, new_root, old_root, [bytes.fromhex(h) for h in proof])


def test_the_frontier_reports_every_completed_subtree() -> None:
    completed: dict[merkle.Block, bytes] = {}
    frontier = merkle.Frontier.empty()
    frontier.extend(HASHES[:7], lambda block, h: completed.__setitem__(block, h))
    assert completed == BLOCKS([(0, i) for i in range(7)] + [(1, 0), (1, 1), (1, 2), (2, 0)])


def test_degenerate_consistency_proofs() -> None:
    root4 = merkle.mth(HASHES[:4])
    assert merkle.verify_consistency(4, 4, root4, root4, [])
    assert not merkle.verify_consistency(4, 4, root4, merkle.mth(HASHES[:5]), [])
    assert merkle.verify_consistency(0, 8, merkle.EMPTY_ROOT, bytes.fromhex(CT_ROOTS[7]), [])
    assert not merkle.verify_consistency(6, 8, merkle.mth(HASHES[:6]), bytes.fromhex(CT_ROOTS[7]), [])
    with pytest.raises(ValueError, match="not in a tree"):
        merkle.inclusion_ranges(8, 8)


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(hashlib.sha256(str(i).encode()).digest()) for i in range(n)]


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=1, max_value=300).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))))
def test_inclusion_proofs_verify_for_random_sizes(size_and_index: tuple[int, int]) -> None:
    size, index = size_and_index
    hashes = _leaves(size)
    blocks = merkle.blocks_from_leaves(hashes)
    root = merkle.mth(hashes)
    proof = merkle.inclusion_proof(index, size, blocks)
    assert merkle.verify_inclusion(hashes[index], index, size, proof, root)
    assert not merkle.verify_inclusion(hashes[index], index, size, proof[:-1], root) or not proof
    if proof:
        bent = [*proof[:-1], bytes(32)]
        assert not merkle.verify_inclusion(hashes[index], index, size, bent, root)


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=300).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_consistency_proofs_verify_for_random_sizes(sizes: tuple[int, int]) -> None:
    old, new = sizes
    hashes = _leaves(new)
    blocks = merkle.blocks_from_leaves(hashes)
    old_root, new_root = merkle.mth(hashes[:old]), merkle.mth(hashes)
    proof = merkle.consistency_proof(old, new, blocks)
    assert merkle.verify_consistency(old, new, old_root, new_root, proof)
    if 0 < old < new:
        assert not merkle.verify_consistency(old, new, old_root, new_root, [*proof[:-1], bytes(32)])
        assert not merkle.verify_consistency(old, new, merkle.leaf_hash(b"other"), new_root, proof)


# JSON values as the log makes them: no floats, integers within JCS's exact range, field-name keys.
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_json_values)
def test_the_fast_canonical_json_is_rfc8785(value: object) -> None:
    assert leaves.canonical(value) == leaves.canonical_reference(value)


def test_canonical_json_of_the_rfc8785_example_without_its_floats() -> None:
    # RFC 8785 3.2.2's input, less its numbers (the log holds no floats): keys sorted, escapes as in ES6.
    value = {
        "numbers": [333333333, 4, 0],
        "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
        "literals": [None, True, False],
    }
    expected = '{"literals":[null,true,false],"numbers":[333333333,4,0],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    assert leaves.canonical(value) == expected.encode() == leaves.canonical_reference(value)
