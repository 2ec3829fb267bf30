#!/usr/bin/python3
"""weighted_mean with pandas and numpy: read a ratings CSV (rater,ratee,grade),
number the ratees by first appearance (factorize), and average the points
0, 60, 80, 100 of the four grades per ratee (bincount), blank grades left out.

  pandas_weighted_mean.py RATINGS.csv OUT.csv

Prints the seconds of read_csv and of the rest on stderr; writes ratee,score.
"""
import sys
import time

import numpy as np
import pandas as pd

t0 = time.perf_counter()
df = pd.read_csv(sys.argv[1], dtype={"rater": str, "ratee": str}, usecols=["ratee", "grade"])
t1 = time.perf_counter()
codes, names = pd.factorize(df["ratee"])
grade = df["grade"].to_numpy(dtype=float)
valid = ~np.isnan(grade)
points = np.array([0.0, 60.0, 80.0, 100.0])[grade[valid].astype(np.int64)]
total = np.bincount(codes[valid], weights=points, minlength=len(names))
count = np.bincount(codes[valid], minlength=len(names))
score = total / np.maximum(count, 1)
t2 = time.perf_counter()
pd.DataFrame({"ratee": names, "score": score}).to_csv(sys.argv[2], index=False)
print(f"read {t1 - t0:.3f} s, factorize+bincount {t2 - t1:.3f} s", file=sys.stderr)
