#!/usr/bin/env python3
"""How far each model moves one replicate's ranking away from a base model's,
from a run's scores.csv (replicate,model,ratee,score,rank,...):

    tools/rank_shift.py out/composite/scores.csv composite_ahp [--replicate 1] [--top 155]

Per model: the median and 90th percentile (type 7) of |rank - base rank|
over the evaluees, how many move more than 100 places, and the share of
the base model's top TOP that the model's top TOP keeps. Models are listed
from the closest to the farthest by the median shift.
"""
import argparse
import csv
import statistics


def quantile(values, p):
    v = sorted(values)
    h = (len(v) - 1) * p
    lo = int(h)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (h - lo) * (v[hi] - v[lo])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scores")
    ap.add_argument("base")
    ap.add_argument("--replicate", default="1")
    ap.add_argument("--top", type=int, default=155)
    a = ap.parse_args()
    rank = {}
    with open(a.scores, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["replicate"] == a.replicate:
                rank.setdefault(r["model"], {})[r["ratee"]] = int(r["rank"])
    base = rank[a.base]
    top = {k for k, v in base.items() if v <= a.top}
    rows = []
    for model, ranks in rank.items():
        if model == a.base:
            continue
        shift = [abs(ranks[k] - base[k]) for k in base]
        kept = len(top & {k for k, v in ranks.items() if v <= a.top}) / a.top
        rows.append((statistics.median(shift), model, quantile(shift, 0.9),
                     sum(s > 100 for s in shift), kept))
    print(f"{'against ' + a.base:<22} {'median':>7} {'p90':>6} {'moved>100':>10} "
          f"{'top-' + str(a.top) + ' kept':>13}")
    for median, model, p90, moved, kept in sorted(rows):
        print(f"{model:<22} {median:>7g} {p90:>6g} {moved:>10} {kept:>13.2f}")


if __name__ == "__main__":
    main()
