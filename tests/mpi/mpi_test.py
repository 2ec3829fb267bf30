#!/usr/bin/env python3
"""Distributed runs under mpirun against one process (README "Running on a cluster").

    mpi_test.py CASE --evalsim BIN --mpirun MPIRUN --root SRC

CASE is one of: run, split, sweep, score, manipulate, calibrate, failure, resume. Each case runs
`mpirun --oversubscribe -np N evalsim ...` for N = 2 and 3 and checks that it
writes the same bytes as `evalsim ... --threads 1` (manifest.json compared
without the fields that vary from run to run: wall time, threads, version).
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

VARYING = ("wall_time", "threads", "git_describe", "memory_estimate_bytes")


def env():
    e = dict(os.environ)
    e["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    e["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    e["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
    return e


class Runner:
    def __init__(self, args, tmp):
        self.bin, self.mpirun, self.root, self.tmp = args.evalsim, args.mpirun, args.root, tmp

    def one(self, *argv):
        return subprocess.run([self.bin, *argv, "--threads", "1"], cwd=self.root, env=env(),
                              capture_output=True, text=True, timeout=600)

    def mpi(self, n, *argv, extra_env=None):
        e = env()
        e.update(extra_env or {})
        return subprocess.run([self.mpirun, "--oversubscribe", "-np", str(n), self.bin, *argv],
                              cwd=self.root, env=e, capture_output=True, text=True, timeout=600)


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def expect_ok(proc, what):
    if proc.returncode != 0:
        fail(f"{what}: exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")


def load(path):
    data = open(path, "rb").read()
    if os.path.basename(path) == "manifest.json":
        m = json.loads(data)
        for k in VARYING:
            m.pop(k, None)
        return json.dumps(m, indent=1).encode()
    return data


def tree(d):
    files = {}
    for base, _, names in os.walk(d):
        for n in names:
            if n == "report.html":  # embeds the wall times; built from the files compared
                continue
            p = os.path.join(base, n)
            files[os.path.relpath(p, d)] = load(p)
    return files


def same_tree(a, b, what):
    ta, tb = tree(a), tree(b)
    if sorted(ta) != sorted(tb):
        fail(f"{what}: files differ: {sorted(set(ta) ^ set(tb))}")
    for k in sorted(ta):
        if ta[k] != tb[k]:
            fail(f"{what}: {k} differs")
    if not ta:
        fail(f"{what}: no files")
    print(f"ok: {what}: {len(ta)} files identical")


def case_identity(r, argv, what):
    base = os.path.join(r.tmp, "one")
    expect_ok(r.one(*argv, "--out", base), f"{what} in one process")
    for n in (2, 3):
        out = os.path.join(r.tmp, f"np{n}")
        expect_ok(r.mpi(n, *argv, "--out", out), f"{what} under mpirun -np {n}")
        same_tree(base, out, f"{what} -np {n}")


def case_split(r, argv, what):
    """Each replicate split over the processes (--split-replicates): the bytes of one process
    running the replicates whole."""
    base = os.path.join(r.tmp, "split-one")
    expect_ok(r.one(*argv, "--out", base), f"{what} in one process")
    for n in (2, 3):
        out = os.path.join(r.tmp, f"split-np{n}")
        p = r.mpi(n, *argv, "--split-replicates", "--out", out)
        expect_ok(p, f"{what} split under mpirun -np {n}")
        if "will only wait" in p.stderr:
            fail(f"a split run warned of waiting processes:\n{p.stderr}")
        same_tree(base, out, f"{what} split -np {n}")


def case_split_failure(r):
    """Process 1 fails drawing its part: non-zero exit, a message naming it, no output."""
    out = os.path.join(r.tmp, "split-failed")
    p = r.mpi(2, "run", "scenarios/quickstart.toml", "--replicates", "2", "--split-replicates",
              "--out", out, extra_env={"EVALSIM_FAIL_PROCESS": "1"})
    if p.returncode == 0:
        fail("a failing process ended the split job with exit 0")
    if "replicate 1 part 2 on process 1" not in p.stderr:
        fail(f"no message naming the process and its part:\n{p.stderr}")
    if any(n.startswith(".split-failed") or n == "split-failed" for n in os.listdir(r.tmp)):
        fail("output left behind by a failed split run")
    print(f"ok: failed part: exit {p.returncode}, {p.stderr.strip().splitlines()[0]}")


def case_idle(r):
    """More processes than replicates: the same bytes, and a warning that some only wait."""
    argv = ["run", "scenarios/quickstart.toml", "--replicates", "1"]
    base = os.path.join(r.tmp, "idle-one")
    expect_ok(r.one(*argv, "--out", base), "run of one replicate in one process")
    out = os.path.join(r.tmp, "idle-np3")
    p = r.mpi(3, *argv, "--out", out)
    expect_ok(p, "run of one replicate under mpirun -np 3")
    if "3 processes for 1 replicate" not in p.stderr or "2 of the processes will only wait" \
            not in p.stderr:
        fail(f"no warning about idle processes:\n{p.stderr}")
    if p.stderr.count("will only wait") != 1:
        fail(f"the warning is printed more than once:\n{p.stderr}")
    same_tree(base, out, "run of one replicate -np 3")


def case_score(r):
    gen = os.path.join(r.tmp, "gen")
    expect_ok(subprocess.run([r.bin, "generate", "scenarios/quickstart.toml", "--out", gen],
                             cwd=r.root, capture_output=True, text=True), "generate")
    for model, extra in (("weighted_mean", []), ("rating_scale", ["--interval", "bca"])):
        argv = ["score", "--model", model, "--ballots", os.path.join(gen, "ballots.csv"),
                "--bootstrap", "30", "--seed", "7", *extra]
        one = r.one(*argv)
        expect_ok(one, "score --bootstrap in one process")
        for n in (2, 3):
            p = r.mpi(n, *argv)
            expect_ok(p, f"score --bootstrap under mpirun -np {n}")
            if p.stdout != one.stdout or p.stderr != one.stderr:
                fail(f"score {model} --bootstrap -np {n}: output differs\n{p.stdout}\n{p.stderr}")
            print(f"ok: score {model} --bootstrap -np {n}: "
                  f"{len(one.stdout.splitlines())} lines identical")


def case_failure(r):
    """Process 1 fails on its first replicate: non-zero exit, a message, no output."""
    out = os.path.join(r.tmp, "failed")
    p = r.mpi(2, "run", "scenarios/quickstart.toml", "--replicates", "4", "--out", out,
              extra_env={"EVALSIM_FAIL_PROCESS": "1"})
    if p.returncode == 0:
        fail("a failing process ended the job with exit 0")
    if "replicate 2 on process 1" not in p.stderr:
        fail(f"no message naming the process and replicate:\n{p.stderr}")
    leftovers = [n for n in os.listdir(r.tmp) if n.startswith(".failed") or n == "failed"]
    if leftovers:
        fail(f"output left behind: {leftovers}")
    print(f"ok: failed process: exit {p.returncode}, {p.stderr.strip().splitlines()[0]}")
    # A process that dies (SIGABRT) ends the job too, with no output.
    p = r.mpi(2, "run", "scenarios/quickstart.toml", "--replicates", "4", "--out", out,
              extra_env={"EVALSIM_FAIL_PROCESS": "1:abort"})
    if p.returncode == 0:
        fail("a dead process ended the job with exit 0")
    leftovers = [n for n in os.listdir(r.tmp) if n.startswith(".failed") or n == "failed"]
    if leftovers:
        fail(f"output left behind after a dead process: {leftovers}")
    print(f"ok: dead process: exit {p.returncode}")


# Long enough (about 1 s a point on one idle core) that Ctrl-C, which mpirun
# passes on about a second after it gets it, lands before the last point.
SWEEP = ["sweep", "scenarios/quickstart.toml", "--vary",
         "raters.superior.weight=0.5,0.45,0.4,0.35,0.3,0.25,0.2,0.15", "--replicates", "3000"]


def case_resume(r):
    """Ctrl-C under mpirun keeps the finished points; --resume under mpirun finishes the sweep
    with the bytes of one uninterrupted process."""
    base = os.path.join(r.tmp, "one")
    expect_ok(r.one(*SWEEP, "--out", base), "sweep in one process")
    out = os.path.join(r.tmp, "cut")
    points = os.path.join(out + ".partial", "points")
    # As a terminal's Ctrl-C: SIGINT to mpirun's process group (Open MPI puts
    # every process it starts in a group of its own, so mpirun alone gets it;
    # it sends SIGTERM to the processes a second later, and SIGKILL a second
    # after that).
    proc = subprocess.Popen([r.mpirun, "--oversubscribe", "-np", "2", r.bin, *SWEEP, "--out", out],
                            cwd=r.root, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if os.path.isdir(points) and any(not n.startswith(".") for n in os.listdir(points)):
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    if proc.returncode == 0:
        fail(f"the sweep finished before Ctrl-C; make it longer\n{stderr}")
    # mpirun's own status after it was interrupted is 1 (Open MPI's); every
    # evalsim process ends with 130 and process 0 says what was kept.
    if "interrupted after" not in stderr:
        fail(f"Ctrl-C under mpirun: exit {proc.returncode}, no message\n{stderr}")
    if os.path.exists(out):
        fail("Ctrl-C left a partial output directory")
    kept = sorted(n for n in os.listdir(points) if not n.startswith("."))
    if not kept or len(kept) == 8:
        fail(f"expected some but not all points kept, found {kept}")
    print(f"ok: Ctrl-C under mpirun: exit {proc.returncode}, {len(kept)} points kept")
    p = r.mpi(2, *SWEEP, "--out", out, "--resume")
    expect_ok(p, "sweep --resume under mpirun")
    if os.path.exists(out + ".partial"):
        fail("out.partial left after the resumed sweep")
    m = json.load(open(os.path.join(out, "manifest.json")))
    if m.get("resumed_points") != len(kept):
        fail(f"manifest resumed_points {m.get('resumed_points')}, expected {len(kept)}")
    m.pop("resumed_points")
    json.dump(m, open(os.path.join(out, "manifest.json"), "w"))
    mb = json.load(open(os.path.join(base, "manifest.json")))
    mb.pop("resumed_points")
    json.dump(mb, open(os.path.join(base, "manifest.json"), "w"))
    same_tree(base, out, "resumed sweep -np 2")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--evalsim", required=True)
    ap.add_argument("--mpirun", required=True)
    ap.add_argument("--root", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        r = Runner(args, tmp)
        if args.case == "run":
            case_identity(r, ["run", "scenarios/quickstart.toml", "--replicates", "5"], "run")
            case_identity(r, ["run", "scenarios/veto_overlay.toml", "--replicates", "3"],
                          "run (vetoes)")
            case_identity(r, ["run", "scenarios/public_poll_towns.toml", "--replicates", "3"],
                          "run (a scale per group, with don't know)")
            case_identity(r, ["run", "scenarios/traffic_light_quarterly.toml", "--replicates",
                              "3"], "run (periods)")
            case_idle(r)
        elif args.case == "split":
            case_split(r, ["run", "scenarios/quickstart.toml", "--replicates", "3"], "run")
            case_split(r, ["run", "scenarios/veto_overlay.toml", "--replicates", "2"],
                       "run (vetoes)")
            case_split(r, ["run", "scenarios/public_poll_towns.toml", "--replicates", "2"],
                       "run (a scale per group, with don't know)")
            case_split(r, ["run", "scenarios/canvassing_collusion.toml", "--replicates", "2"],
                       "run (blocs)")
            case_split(r, ["run", "scenarios/quickstart.toml", "--replicates", "2",
                           "--set", "meetings.absence=[0.0,0.4]", "--set", "meetings.quorum=0.7",
                           "--set", "meetings.max_top=12"], "run (meeting rules)")
            case_split(r, ["run", "scenarios/national_member_appraisal.toml",
                           "--set", "organisation.levels.province.count=4",
                           "--set", "organisation.levels.committee.count=[4,8]",
                           "--models", "points,youxiu_share,median,bayes,adjusted,points_branch",
                           "--per-replicate"], "run (national, 4 provinces, rater_adjusted)")
            case_split(r, ["run", "scenarios/rater_severity.toml", "--replicates", "3", "--models",
                           "standard,pooled_mean,hao_share,trimmed,median,bayes,adjusted"],
                       "run (rater_adjusted by parts, crossed raters)")
            case_split_failure(r)
        elif args.case == "sweep":
            case_identity(r, ["sweep", "scenarios/quickstart.toml", "--vary",
                              "raters.superior.weight=0.3,0.2,0.1", "--replicates", "3"], "sweep")
        elif args.case == "manipulate":
            case_identity(r, ["manipulate", "scenarios/canvassing_presets.toml", "--bury",
                              "--sample", "40"], "manipulate")
            case_identity(r, ["manipulate", "scenarios/canvassing_presets.toml", "--goal",
                              "class=优秀", "--bury", "--sample", "20"], "manipulate class goal")
        elif args.case == "calibrate":
            case_identity(r, ["calibrate", "scenarios/quickstart.toml", "--sets", "5",
                              "--bootstrap", "20", "--population", "9", "--runs", "3",
                              "--replicates", "3"], "calibrate")
        elif args.case == "score":
            case_score(r)
        elif args.case == "failure":
            case_failure(r)
        elif args.case == "resume":
            case_resume(r)
        else:
            fail(f"unknown case {args.case}")


if __name__ == "__main__":
    main()
