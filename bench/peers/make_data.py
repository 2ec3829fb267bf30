#!/usr/bin/python3
"""Writes the ballot files of bench/peers/run.sh.

  make_data.py ratings N OUT.csv    N ballots: N/100 ratees, N/100 raters, each
                                     rater grades 100 distinct ratees (0..3)
  make_data.py pairwise N OUT.csv   N comparisons among N/100 ratees

Ids are written as r<k> and e<k>; rows come in random order (the hardest case
for a reader's id lookups). Qualities, severities and outcomes are drawn from
a fixed seed, so a file of a given size is the same on every run.
"""
import sys

import numpy as np


def ratings(n, out):
    rng = np.random.default_rng(20240601)
    per_rater = 100
    raters = max(n // per_rater, 1)
    ratees = max(n // per_rater, per_rater)
    quality = rng.normal(0.0, 1.0, ratees)
    severity = rng.normal(0.0, 0.5, raters)
    # Rater j grades ratees (start_j + k * stride_j) mod ratees, k < 100: the
    # stride is coprime with the count, so the 100 ratees are distinct.
    start = rng.integers(0, ratees, raters)
    stride = rng.integers(1, ratees, raters)
    while True:
        bad = np.gcd(stride, ratees) != 1
        if not bad.any():
            break
        stride[bad] = rng.integers(1, ratees, bad.sum())
    k = np.arange(per_rater)
    rater = np.repeat(np.arange(raters), per_rater)
    ratee = ((start[:, None] + k[None, :] * stride[:, None]) % ratees).ravel()
    latent = quality[ratee] - severity[rater] + rng.normal(0.0, 0.8, rater.size)
    grade = np.digitize(latent, [-1.5, -0.5, 0.8]).astype(np.int64)
    order = rng.permutation(rater.size)[:n]
    write(out, "rater,ratee,grade", [("r", rater[order]), ("e", ratee[order]), ("", grade[order])])


def pairwise(n, out):
    rng = np.random.default_rng(20240602)
    players = max(n // 100, 10)
    strength = rng.normal(0.0, 1.0, players)
    a = rng.integers(0, players, n)
    b = (a + rng.integers(1, players, n)) % players
    p = 1.0 / (1.0 + np.exp(strength[b] - strength[a]))
    a_wins = rng.random(n) < p
    winner = np.where(a_wins, a, b)
    loser = np.where(a_wins, b, a)
    write(out, "winner,loser", [("e", winner), ("e", loser)])


def write(out, header, columns, block=1_000_000):
    """Writes the columns (prefix, integer array) as CSV, a block at a time."""
    n = columns[0][1].size
    with open(out, "w", encoding="ascii", newline="\n") as f:
        f.write(header + "\n")
        for lo in range(0, n, block):
            parts = [np.char.add(p, c[lo:lo + block].astype(str)) if p else c[lo:lo + block].astype(str)
                     for p, c in columns]
            rows = parts[0]
            for part in parts[1:]:
                rows = np.char.add(np.char.add(rows, ","), part)
            f.write("\n".join(rows.tolist()))
            f.write("\n")


if __name__ == "__main__":
    kind, size, path = sys.argv[1], int(float(sys.argv[2])), sys.argv[3]
    {"ratings": ratings, "pairwise": pairwise}[kind](size, path)
