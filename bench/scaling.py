#!/usr/bin/python3
"""Scaling study: wall time and peak memory of `evalsim run` against ballots.

Runs the municipal member-appraisal probe shape (every member of a branch
rates every other member; one meeting per branch) at sizes from about 10^5 to
10^8 ballots per replicate, one replicate, all nine ratings models in one run
per size, and reads the phase times, each model's fit time and the peak
memory from the run's manifest.json. The memory-bandwidth floor (ballot-word
bytes / read bandwidth) is measured in the same invocation with
`evalsim_bench --benchmark_filter=Floor/read/municipal`.

Prints a table (no third-party module needed). With matplotlib (Debian:
`apt-get install python3-matplotlib`) it also draws --plot.

  /usr/bin/python3 bench/scaling.py --evalsim build/evalsim \
      --bench build/bench/evalsim_bench --plot bench/scaling.png
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

MODELS = ["weighted_mean", "approval", "trimmed_mean", "median", "zscore_mean",
          "bayes_shrink", "rater_adjusted", "mixed_effects", "rating_scale"]

SCENARIO_HEAD = """name = "muni_scaling"
seed = 1
replicates = 1
[scale]
labels = ["不合格", "基本合格", "合格", "优秀"]
shares = [0.01, 0.04, 0.55, 0.40]
[organisation]
levels = [
  { name = "district", count = 38 },
  { name = "town", count = [20, 34] },
  { name = "branch", count = [55, 83] },
  { name = "member", count = [3, 41] },
]
evaluees = "member"
quality = { sd = 1.0, inherited = 0.2 }
[meetings]
by = "branch"
[[raters]]
group = "member"
from_evaluees = true
noise = 0.8
leniency = { mean = 0.3, sd = 0.5 }
abstain = 0.02
"""

# rating_scale costs about 4 us per ballot at these sizes (see bench/README.md,
# "Scaling study"); above --slow-max ballots it is left out of the run.
SLOW = {"rating_scale"}


def scenario_text(models):
    return SCENARIO_HEAD + "".join(f'[[models]]\nname = "{m}"\nmodel = "{m}"\n' for m in models)

# (label, districts, towns per district, members per branch). Expected
# ballots per branch are E[m (m - 1)] for m uniform on the member range.
SIZES = [
    ("1e5", 1, "3", "[3, 41]"),
    ("3e5", 1, "8", "[3, 41]"),
    ("1e6", 1, "[20, 34]", "[3, 41]"),
    ("3e6", 3, "[20, 34]", "[3, 41]"),
    ("1e7", 9, "[20, 34]", "[3, 41]"),
    ("3e7", 27, "[20, 34]", "[3, 41]"),
    ("4e7", 38, "[20, 34]", "[3, 41]"),  # the full probe
    ("1e8", 38, "[20, 34]", "[10, 60]"),
]


def levels(districts, towns, members):
    return ("organisation.levels=["
            f'{{name="district",count={districts}}},'
            f'{{name="town",count={towns}}},'
            '{name="branch",count=[55,83]},'
            f'{{name="member",count={members}}}]')


def floor_bandwidth(bench):
    """Bytes per second of one read pass over ballot words (municipal size)."""
    out = subprocess.run(
        [bench, "--benchmark_filter=Floor/read/municipal", "--benchmark_format=json",
         "--benchmark_repetitions=3", "--benchmark_report_aggregates_only=true"],
        check=True, capture_output=True, text=True).stdout
    for b in json.loads(out)["benchmarks"]:
        if b["name"].endswith("_median"):
            return float(b["bytes_per_second"])
    raise RuntimeError("no Floor/read/municipal median in evalsim_bench output")


def run_size(evalsim, out_dir, label, districts, towns, members, threads, models):
    out = os.path.join(out_dir, label)
    scenario = os.path.join(out_dir, f"muni_scaling_{label}.toml")
    with open(scenario, "w", encoding="utf-8") as f:
        f.write(scenario_text(models))
    cmd = [evalsim, "run", scenario, "--out", out, "--replicates", "1",
           "--threads", str(threads), "--set", levels(districts, towns, members)]
    t0 = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
        man = json.load(f)
    w = man["wall_time"]
    fits = {m: w["models"][m]["fit_seconds_mean"] for m in models}
    row = {
        "size": label,
        "ballots": man["ballots"]["total"],
        "evaluees": man["organisation"]["evaluees"],
        "generate": w["generate_seconds_summed_over_replicates"],
        # The score phase holds the fits and the per-replicate metrics.
        "replicate_metrics": w["score_seconds_summed_over_replicates"] - sum(fits.values()),
        "reduce": w["metrics_seconds"],
        "write": w["write_seconds"],
        "total": w["total_seconds"],
        "wall": wall,
        "peak_gib": w["peak_memory_bytes"] / 2**30,
        "models": models,
        "fits": fits,
        "command": " ".join(cmd),
    }
    return row


def print_table(rows, floor_bps):
    cols = (["size", "ballots", "evaluees", "floor", "generate"] + MODELS +
            ["rep.metrics", "reduce", "write", "total", "wall", "peak GiB"])
    print(f"# floor bandwidth {floor_bps / 1e9:.1f} GB/s (4-byte ballot words, one read pass)")
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        floor = 4.0 * r["ballots"] / floor_bps
        cells = [r["size"], str(r["ballots"]), str(r["evaluees"]), f"{floor:.3g}",
                 f"{r['generate']:.3g}"]
        cells += [f"{r['fits'][m]:.3g}" if m in r["fits"] else "-" for m in MODELS]
        cells += [f"{r['replicate_metrics']:.3f}", f"{r['reduce']:.3f}", f"{r['write']:.3f}",
                  f"{r['total']:.2f}", f"{r['wall']:.2f}", f"{r['peak_gib']:.2f}"]
        print("| " + " | ".join(cells) + " |")


def plot(rows, floor_bps, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not found (apt-get install python3-matplotlib): no plot",
              file=sys.stderr)
        return
    x = [r["ballots"] for r in rows]
    fig, (ax, am) = plt.subplots(1, 2, figsize=(11, 4.6), dpi=80)
    ax.plot(x, [r["generate"] for r in rows], "k-o", ms=3, label="generate")
    for m in MODELS:
        pts = [(r["ballots"], max(r["fits"][m], 1e-4)) for r in rows if m in r["fits"]]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "-", marker=".", label=m)
    ax.plot(x, [r["replicate_metrics"] for r in rows], "k--", label="per-replicate metrics")
    ax.plot(x, [r["write"] for r in rows], "k:", label="write outputs")
    ax.plot(x, [4.0 * b / floor_bps for b in x], color="grey", lw=3, alpha=0.5,
            label=f"floor: ballot bytes / {floor_bps / 1e9:.0f} GB/s")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("ballots per replicate")
    ax.set_ylabel("seconds (one replicate)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=6.5, ncol=2)
    am.plot(x, [r["peak_gib"] for r in rows], "k-o", ms=3,
            label="peak RSS of the run (all its models)")
    am.plot(x, [4.0 * b / 2**30 for b in x], color="grey", lw=3, alpha=0.5,
            label="ballot words (4 B each)")
    am.axhline(4.0, color="red", lw=1, ls="--", label="4 GiB target")
    am.set_xscale("log")
    am.set_yscale("log")
    am.set_xlabel("ballots per replicate")
    am.set_ylabel("GiB")
    am.grid(True, which="both", alpha=0.3)
    am.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    print(f"wrote {path}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--evalsim", default="build/evalsim")
    ap.add_argument("--bench", default="build/bench/evalsim_bench")
    ap.add_argument("--sizes", default=",".join(s[0] for s in SIZES),
                    help="comma-separated labels from: " + " ".join(s[0] for s in SIZES))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--slow-max", type=float, default=5e7,
                    help="leave rating_scale out of sizes whose label exceeds this many ballots")
    ap.add_argument("--plot", default="", help="PNG or SVG to draw (needs matplotlib)")
    ap.add_argument("--json", default="", help="also save the rows as JSON")
    a = ap.parse_args()
    wanted = a.sizes.split(",")
    floor_bps = floor_bandwidth(a.bench)
    rows = []
    with tempfile.TemporaryDirectory(prefix="evalsim-scaling-") as tmp:
        for label, d, t, m in SIZES:
            if label in wanted:
                models = [x for x in MODELS if float(label) <= a.slow_max or x not in SLOW]
                rows.append(run_size(a.evalsim, tmp, label, d, t, m, a.threads, models))
                print(f"{label}: {rows[-1]['ballots']} ballots, {rows[-1]['wall']:.1f} s",
                      file=sys.stderr)
    with open("/proc/loadavg", encoding="ascii") as f:
        print(f"# load average at the end: {f.read().split()[:3]}")
    print_table(rows, floor_bps)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({"floor_bytes_per_second": floor_bps, "rows": rows}, f, indent=1)
    if a.plot:
        plot(rows, floor_bps, a.plot)


if __name__ == "__main__":
    main()
