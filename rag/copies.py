"""Copies: the same report republished by several outlets (a wire story), found at ingest.

A copy is a near-duplicate text: the Jaccard similarity of the two articles' word 5-shingles
(normalised words, the first `chars` characters) is at least `jaccard`. Comparing every new
article with every stored one would cost O(n) per article, so candidates come from MinHash with
locality-sensitive banding (Broder 1997; Leskovec, Rajaraman & Ullman, "Mining of Massive
Datasets", ch. 3): a 64-value signature per article, cut into 32 bands of 2 values; two articles
that share a band are candidates, and each candidate is then measured exactly on the texts.

Why MinHash rather than SimHash: the question asked is "do these two texts share most of their
word sequences?", which is the Jaccard similarity of their shingle sets, and MinHash estimates
exactly that (each value agrees with probability J). SimHash approximates the cosine of weighted
term vectors instead, which two articles on one story in their own words also score high on.
With 32 bands of 2, a pair at J = 0.5 becomes a candidate with probability 1 - (1 - 0.5²)³² ≈ 0.9990
and a pair at J = 0.1 with probability 0.27 (then rejected by the exact measure): recall first, the
exact check for precision.

Copies form groups (a union of the pairs found): the store keeps each article's group, and a group
counts once as a report (rag/corroborate.py lists its other members as "also published by").
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass

import numpy as np

from .arabic import normalize

PERMUTATIONS = 64
ROWS = 2  # values per band: 32 bands
_PRIME = (1 << 31) - 1  # a·x wraps around it many times: each (a, b) orders the shingles anew


def _coefficients(name: str) -> np.ndarray:
    """Fixed 31-bit coefficients from a hash of their name: stored signatures stay comparable across
    processes and library versions (a random generator's stream is not promised to)."""
    return np.array([int.from_bytes(hashlib.blake2b(f"{name}{i}".encode(), digest_size=4).digest(), "big")
                     % (_PRIME - 1) + 1 for i in range(PERMUTATIONS)], np.uint64)


_A, _B = _coefficients("a"), _coefficients("b")
VERSION = f"minhash-{PERMUTATIONS}x{ROWS}-5words"


@dataclass(frozen=True)
class CopyPolicy:
    jaccard: float = 0.5  # word 5-shingle Jaccard of two copies of one report
    chars: int = 3000  # the part of each article compared (a copy may add its own ending)
    per_group: int = 3  # members of one copy group measured against a new article (one match joins it)


def shingles(text: str, n: int = 5) -> set[int]:
    """Word n-shingles of the normalised text, as stable 32-bit hashes (the same in every process)."""
    words = re.findall(r"[^\W_]+", normalize(text))
    return {zlib.crc32(" ".join(words[i: i + n]).encode()) for i in range(max(1, len(words) - n + 1))}


def jaccard(a: set[int], b: set[int]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def signature(sh: set[int]) -> np.ndarray:
    """The MinHash signature of a shingle set: for each of PERMUTATIONS hash functions
    (a·x + b mod a Mersenne prime), its smallest value over the set."""
    if not sh:
        return np.full(PERMUTATIONS, _PRIME, np.uint64)
    x = np.fromiter(sh, np.uint64, len(sh))
    # a < 2^31 and x < 2^32: a·x + b stays below 2^64, no overflow in uint64
    return ((np.outer(_A, x) + _B[:, None]) % _PRIME).min(axis=1)


def bands(sig: np.ndarray) -> list[str]:
    """The band keys of a signature: articles that share one are compared."""
    return [f"{i}:{zlib.crc32(sig[i * ROWS:(i + 1) * ROWS].tobytes()):08x}" for i in range(PERMUTATIONS // ROWS)]


def band_keys(text: str, policy: CopyPolicy = CopyPolicy()) -> tuple[set[int], list[str]]:
    """The shingles of an article's compared part and its band keys."""
    sh = shingles(text[: policy.chars])
    return sh, bands(signature(sh))
