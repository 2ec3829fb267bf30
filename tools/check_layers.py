#!/usr/bin/env python3
"""Checks that includes run only downward through the layers of sim/ and models/.

    tools/check_layers.py [ROOT]

core <- io <- scenario/rules <- simulate <- run <- experiments <- report/cli;
models/ sees only models/ and sim/core; sim/mpi (the MPI implementation of
sim/core/distribute.h) sees only sim/core and only the cli includes it; the
report reads output files through sim/io, never through the runner; nothing
outside sim/cli includes sim/cli (the Python extension in python/ included).
Prints each include that breaks the rule and exits 1 if there is any.
"""
import os
import re
import sys

BELOW = {
    "core": {"core"},
    "io": {"core", "io"},
    "mpi": {"core", "mpi"},
    "models": {"core", "models"},
    "rules": {"core", "io", "models", "rules"},
    "scenario": {"core", "io", "models", "rules", "scenario"},
    "simulate": {"core", "io", "models", "rules", "scenario", "simulate"},
    "run": {"core", "io", "models", "rules", "scenario", "simulate", "run"},
    "experiments": {"core", "io", "models", "rules", "scenario", "simulate", "run", "experiments"},
    "report": {"core", "io", "report"},
    "cli": {"core", "io", "models", "rules", "scenario", "simulate", "run", "experiments",
            "report", "mpi", "cli"},
    # The Python package's extension (python/): a front end beside the
    # command line, on every layer but cli.
    "python": {"core", "io", "models", "rules", "scenario", "simulate", "run", "experiments",
               "report"},
}


def layer(path):
    parts = path.split("/")
    if parts[0] in ("models", "python"):
        return parts[0]
    if parts[0] == "sim" and len(parts) > 2:
        return parts[1]
    return None


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    bad, files = [], 0
    for top in ("sim", "models", "python"):
        for d, _, names in os.walk(os.path.join(root, top)):
            for n in sorted(names):
                if not n.endswith((".h", ".cc")):
                    continue
                path = os.path.relpath(os.path.join(d, n), root)
                own = layer(path)
                if own is None:
                    bad.append(f"{path}: not inside a layer folder")
                    continue
                files += 1
                for i, line in enumerate(open(os.path.join(root, path), encoding="utf-8"), 1):
                    m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                    if not m:
                        continue
                    target = layer(m.group(1))
                    if target is None:
                        bad.append(f"{path}:{i}: includes {m.group(1)}, which is in no layer")
                    elif target not in BELOW[own]:
                        bad.append(f"{path}:{i}: {own} includes {m.group(1)} ({target})")
    for b in bad:
        print(b)
    print(f"layers: {files} files, {len(bad)} upward or stray include(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
