//! RFC 6962 (§2.1) Merkle trees: the tree heads of audit checkpoints and their inclusion proofs.
//!
//! Leaf hash = SHA-256(0x00 || leaf data), node hash = SHA-256(0x01 || left || right); a tree of
//! n > 1 leaves splits at k, the largest power of two below n. The tree of no leaves has the hash
//! of the empty string.

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

/// SHA-256(0x00 || data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(data);
    hasher.finalize().into()
}

/// SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([1u8]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The largest power of two strictly below `n` (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// The Merkle tree hash (MTH) of leaves given by their leaf hashes.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The audit path (PATH(m, D[n])) of leaf `index`, from the leaf up; `None` when out of range.
pub fn inclusion_path(leaves: &[Hash], index: usize) -> Option<Vec<Hash>> {
    if index >= leaves.len() {
        return None;
    }
    let mut path = Vec::new();
    collect_path(leaves, index, &mut path);
    Some(path)
}

fn collect_path(leaves: &[Hash], index: usize, path: &mut Vec<Hash>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    if index < k {
        collect_path(&leaves[..k], index, path);
        path.push(root(&leaves[k..]));
    } else {
        collect_path(&leaves[k..], index - k, path);
        path.push(root(&leaves[..k]));
    }
}

/// The root that leaf `leaf` at `index` in a tree of `size` leaves gives with `path`
/// (RFC 9162 §2.1.3.2); `None` when the path does not fit the index and size.
pub fn root_from_path(leaf: &Hash, index: u64, size: u64, path: &[Hash]) -> Option<Hash> {
    if index >= size {
        return None;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if s == 0 {
            return None;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    (s == 0).then_some(r)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The leaves of the test vectors of RFC 6962's reference implementation
    /// (certificate-transparency `merkle_tree_test.cc`).
    const LEAVES: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];
    /// The roots of the first 1..=8 of them.
    const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn leaves(n: usize) -> Vec<Hash> {
        LEAVES[..n]
            .iter()
            .map(|h| leaf_hash(&hex::decode(h).unwrap()))
            .collect()
    }

    #[test]
    fn roots_match_the_rfc_6962_test_vectors() {
        assert_eq!(
            hex::encode(root(&[])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        for (n, expected) in ROOTS.iter().enumerate() {
            assert_eq!(
                hex::encode(root(&leaves(n + 1))),
                *expected,
                "{} leaves",
                n + 1
            );
        }
    }

    #[test]
    fn small_trees_by_hand() {
        let d: Vec<Hash> = (0u8..5).map(|i| leaf_hash(&[i])).collect();
        assert_eq!(root(&d[..1]), d[0]);
        assert_eq!(root(&d[..2]), node_hash(&d[0], &d[1]));
        let ab = node_hash(&d[0], &d[1]);
        assert_eq!(root(&d[..3]), node_hash(&ab, &d[2]));
        let abcd = node_hash(&ab, &node_hash(&d[2], &d[3]));
        assert_eq!(root(&d[..5]), node_hash(&abcd, &d[4]));
        // Paths in the tree of 5: leaf 2 needs d3, then ab, then d4; leaf 4 needs abcd only.
        assert_eq!(inclusion_path(&d, 2).unwrap(), vec![d[3], ab, d[4]]);
        assert_eq!(inclusion_path(&d, 4).unwrap(), vec![abcd]);
        assert_eq!(inclusion_path(&d[..1], 0).unwrap(), Vec::<Hash>::new());
        assert_eq!(inclusion_path(&d[..3], 2).unwrap(), vec![ab]);
        assert!(inclusion_path(&d, 5).is_none());
    }

    #[test]
    fn every_path_leads_to_the_root_and_no_other() {
        for n in 1..=8 {
            let tree = leaves(n);
            let expected = root(&tree);
            for (m, leaf) in tree.iter().enumerate() {
                let path = inclusion_path(&tree, m).unwrap();
                let (index, size) = (m as u64, n as u64);
                assert_eq!(root_from_path(leaf, index, size, &path), Some(expected));
                // Another leaf, another index or a truncated path does not give the root.
                let other = leaf_hash(b"other");
                assert_ne!(root_from_path(&other, index, size, &path), Some(expected));
                if n > 1 {
                    assert_ne!(
                        root_from_path(leaf, (index + 1) % size, size, &path),
                        Some(expected)
                    );
                    assert_ne!(
                        root_from_path(leaf, index, size, &path[..path.len() - 1]),
                        Some(expected)
                    );
                }
            }
        }
    }
}
