#!/usr/bin/python3
"""Bradley-Terry strengths by Hunter's MM algorithm in numpy, on a pairwise
CSV (winner,loser): pandas reads and numbers the names, each iteration is a
few vectorised passes over the distinct pairs.

  numpy_bt_mm.py PAIRS.csv OUT.csv [TOLERANCE]

Stops when no log-strength moves by more than TOLERANCE (default 1e-8).
Prints the read time, iterations and seconds per iteration on stderr;
writes ratee,score (centred log-strengths).
"""
import sys
import time

import numpy as np
import pandas as pd

tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-8
t0 = time.perf_counter()
df = pd.read_csv(sys.argv[1], dtype=str)
codes, names = pd.factorize(pd.concat([df["winner"], df["loser"]], ignore_index=True))
n, m = len(names), len(df)
w, l = codes[:m], codes[m:]
# Distinct unordered pairs and their comparison counts; wins per player.
lo, hi = np.minimum(w, l), np.maximum(w, l)
pair, count = np.unique(lo.astype(np.int64) * n + hi, return_counts=True)
a, b = pair // n, pair % n
wins = np.bincount(w, minlength=n).astype(float)
t1 = time.perf_counter()
p = np.ones(n)
iterations = 0
while True:
    iterations += 1
    inv = count / (p[a] + p[b])
    denom = np.bincount(a, weights=inv, minlength=n) + np.bincount(b, weights=inv, minlength=n)
    new = np.where(denom > 0, wins / np.where(denom > 0, denom, 1), p)
    new /= np.exp(np.mean(np.log(np.maximum(new, 1e-300))))
    moved = np.max(np.abs(np.log(np.maximum(new, 1e-300)) - np.log(np.maximum(p, 1e-300))))
    p = new
    if moved < tol or iterations >= 10000:
        break
t2 = time.perf_counter()
pd.DataFrame({"ratee": names, "score": np.log(p) - np.mean(np.log(p))}).to_csv(
    sys.argv[2], index=False)
print(f"read {t1 - t0:.3f} s, {iterations} MM iterations {t2 - t1:.3f} s, "
      f"{1e3 * (t2 - t1) / iterations:.2f} ms per iteration", file=sys.stderr)
