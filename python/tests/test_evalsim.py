"""The Python package against the command line and hand tallies.

Run from ctest (Python.Package) with PYTHONPATH=build/python, EVALSIM_BINARY
(the evalsim executable) and EVALSIM_SOURCE_DIR set.
"""
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

import evalsim

SOURCE = os.environ.get("EVALSIM_SOURCE_DIR",
                        os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("EVALSIM_BINARY", os.path.join(SOURCE, "build", "evalsim"))
QUICKSTART = os.path.join(SOURCE, "scenarios", "quickstart.toml")

# Two raters, three ratees; every grade 0..3 occurs.
#   weighted_mean, points 0,60,80,100: A (100+80)/2 = 90, B (60+80)/2 = 70,
#   C (0+60)/2 = 30.
TALLY = pd.DataFrame({
    "rater": ["r1", "r2", "r1", "r2", "r1", "r2"],
    "ratee": ["A", "A", "B", "B", "C", "C"],
    "grade": [3, 2, 1, 2, 0, 1],
})


def cli(*args, **kw):
    return subprocess.run([BINARY, *args], check=True, capture_output=True, **kw)


def cli_table(*args):
    return evalsim._read_table(cli(*args).stdout)


# --- models -------------------------------------------------------------------

def test_models_lists_the_registry_as_the_command_line_does():
    text = cli("models").stdout.decode("utf-8")
    names = re.findall(r"^(\S+)  \(input: (\w+)\)$", text, flags=re.M)
    table = evalsim.models()
    assert list(zip(table["name"], table["input"])) == names
    assert "weighted_mean" in set(table["name"])
    wm = table.set_index("name").loc["weighted_mean", "params"]
    assert "points" in [p["name"] for p in wm]


# --- score: hand tallies ------------------------------------------------------

def test_weighted_mean_by_hand():
    s = evalsim.score(TALLY, model="weighted_mean")
    assert list(s.columns[:3]) == ["ratee", "score", "rank"]
    assert list(s["ratee"]) == ["A", "B", "C"]
    assert list(s["score"]) == pytest.approx([90.0, 70.0, 30.0])
    assert list(s["rank"]) == [1, 2, 3]


def test_points_parameter_by_hand():
    # points 0,50,90,100: A (100+90)/2 = 95, B (50+90)/2 = 70, C (0+50)/2 = 25.
    s = evalsim.score(TALLY, model="weighted_mean", points=[0, 50, 90, 100])
    assert list(s["score"]) == pytest.approx([95.0, 70.0, 25.0])


def test_group_weights_by_hand():
    # r1 is the leader (weight 3), r2 a member (weight 1); each group's mean
    # points weighted: A (3*100 + 80)/4 = 95, B (3*60 + 80)/4 = 65,
    # C (3*0 + 60)/4 = 15.
    frame = TALLY.assign(group=TALLY["rater"].map({"r1": "leader", "r2": "member"}))
    s = evalsim.score(frame, model="weighted_mean", group_weights={"leader": 3, "member": 1})
    assert list(s["ratee"]) == ["A", "B", "C"]
    assert list(s["score"]) == pytest.approx([95.0, 65.0, 15.0])


def test_approval_by_hand():
    # Share of the top grade (top = 1): A 1/2, B 0, C 0; the tie of B and C
    # is broken by the mean grade (B 1.5 > C 0.5).
    s = evalsim.score(TALLY, model="approval", top=1)
    assert s.set_index("ratee")["score"].to_dict() == pytest.approx({"A": 0.5, "B": 0, "C": 0})
    assert s.set_index("ratee")["rank"].to_dict() == {"A": 1, "B": 2, "C": 3}


# --- score: the same ballots from a frame, arrays, a path and the CLI ---------

def test_frame_arrays_path_and_cli_agree(tmp_path):
    rng = np.random.default_rng(7)
    raters = [f"r{i}" for i in range(30)]
    rows = [(r, f"e{j}", int(rng.integers(0, 4)), "lead" if r < "r10" else "staff",
             float(rng.choice([0.5, 1, 2])))
            for r in raters for j in range(12) if rng.random() < 0.8]
    frame = pd.DataFrame(rows, columns=["rater", "ratee", "grade", "group", "weight"])
    path = tmp_path / "ballots.csv"
    frame.to_csv(path, index=False)
    params = dict(levels=4, points=[0, 60, 80, 100])
    by_frame = evalsim.score(frame, model="weighted_mean", **params)
    arrays = {"rater": np.array(frame["rater"]), "ratee": np.array(frame["ratee"]),
              "grade": frame["grade"].to_numpy(np.int32), "group": np.array(frame["group"]),
              "weight": frame["weight"].to_numpy(np.float32)}
    by_arrays = evalsim.score(arrays, model="weighted_mean", **params)
    by_path = evalsim.score(path, model="weighted_mean", **params)
    by_cli = cli_table("score", "--model", "weighted_mean", "--ballots", str(path),
                       "--set", "levels=4", "--set", "points=[0,60,80,100]")
    pd.testing.assert_frame_equal(by_frame, by_path)
    pd.testing.assert_frame_equal(by_arrays, by_path)
    pd.testing.assert_frame_equal(by_path, by_cli)


def test_nan_grade_is_an_abstention_like_an_empty_cell(tmp_path):
    frame = TALLY.astype({"grade": "Int64"})  # nullable: NA -> NaN, ints written as ints
    frame.loc[len(frame)] = ["r3", "A", pd.NA]
    path = tmp_path / "b.csv"
    frame.to_csv(path, index=False)  # NaN -> empty cell
    pd.testing.assert_frame_equal(evalsim.score(frame, model="median"),
                                  evalsim.score(path, model="median"))


def test_item_column_goes_through_csv_text(tmp_path):
    frame = pd.DataFrame({"rater": ["a", "a", "b", "b"], "ratee": ["X", "X", "Y", "Y"],
                          "grade": [3, 0, 1, 2], "item": ["de", "neng", "de", "neng"]})
    path = tmp_path / "items.csv"
    frame.to_csv(path, index=False)
    pd.testing.assert_frame_equal(evalsim.score(frame, model="weighted_mean"),
                                  evalsim.score(path, model="weighted_mean"))


def test_pairwise_frame_and_file_agree():
    path = os.path.join(SOURCE, "tests", "data", "pairwise_small.csv")
    frame = pd.read_csv(path, encoding="utf-8-sig")
    pd.testing.assert_frame_equal(
        evalsim.score(frame, model="bradley_terry", format="pairwise"),
        evalsim.score(path, model="bradley_terry", format="pairwise"))


def test_bootstrap_matches_the_command_line(tmp_path):
    path = tmp_path / "t.csv"
    TALLY.to_csv(path, index=False)
    ours = evalsim.score(TALLY, model="weighted_mean", bootstrap=40, seed=3, threads=1)
    theirs = cli_table("score", "--model", "weighted_mean", "--ballots", str(path),
                       "--bootstrap", "40", "--seed", "3", "--threads", "1")
    pd.testing.assert_frame_equal(ours, theirs)
    assert {"lo", "hi"} <= set(ours.columns)


# --- errors -------------------------------------------------------------------

def test_bad_grade_in_a_file_names_file_and_line():
    path = os.path.join(SOURCE, "tests", "data", "ratings_bad_grade.csv")
    with pytest.raises(ValueError, match=r"ratings_bad_grade\.csv:4: column 'grade'"):
        evalsim.score(path, model="weighted_mean")


def test_bad_grade_in_a_frame_names_the_row():
    frame = TALLY.copy()
    frame.loc[4, "grade"] = 7
    with pytest.raises(ValueError, match=r"DataFrame: row 4: column 'grade': found 7; "
                                         r"expected an integer 0..3"):
        evalsim.score(frame, model="weighted_mean", levels=4)


def test_repeated_pair_and_missing_name_in_a_frame():
    frame = pd.concat([TALLY, TALLY.iloc[[2]]], ignore_index=True)
    with pytest.raises(ValueError, match=r"row 6: .*rater \"r1\" rates ratee \"B\" again "
                                         r"\(first on row 2\)"):
        evalsim.score(frame, model="weighted_mean")
    frame = TALLY.astype({"rater": object})
    frame.loc[1, "rater"] = None
    with pytest.raises(ValueError, match=r"row 1: column 'rater': found a missing value"):
        evalsim.score(frame, model="weighted_mean")


def test_skipped_grade_and_unknown_model_and_bad_parameter():
    with pytest.raises(ValueError, match="levels"):
        evalsim.score(TALLY[TALLY["grade"] != 1], model="weighted_mean")
    with pytest.raises(ValueError, match="unknown model; available models: "):
        evalsim.score(TALLY, model="no_such_model")
    with pytest.raises(ValueError, match="points"):
        evalsim.score(TALLY, model="weighted_mean", points=[1, 2])


def test_bad_scenario_key_names_file_line_and_column(tmp_path):
    text = open(QUICKSTART, encoding="utf-8").read().replace(
        "replicates = 50", "replicates = 50\nreplicats = 3")
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.toml:\d+:\d+: .*replicats"):
        evalsim.run(bad)


# --- run, generate, sweep: the command line's bytes ---------------------------

def _manifest_without_times(data):
    m = json.loads(data)
    m.pop("wall_time", None)
    return m


def _same_files(ours, theirs_dir):
    theirs = {}
    for root, _, names in os.walk(theirs_dir):
        for n in names:
            full = os.path.join(root, n)
            theirs[os.path.relpath(full, theirs_dir)] = open(full, "rb").read()
    assert sorted(ours) == sorted(theirs)
    for name in ours:
        if name.endswith("manifest.json"):
            assert _manifest_without_times(ours[name]) == _manifest_without_times(theirs[name])
        else:
            assert ours[name] == theirs[name], name


def _tree(root):
    """Every file under `root` as bytes, by relative path."""
    return {os.path.relpath(os.path.join(d, n), root): open(os.path.join(d, n), "rb").read()
            for d, _, ns in os.walk(root) for n in ns}


def test_run_writes_the_command_lines_files(tmp_path):
    r = evalsim.run(QUICKSTART, replicates=4, threads=2, set={"raters.member.noise": 1.5})
    cli("run", QUICKSTART, "--replicates", "4", "--threads", "2",
        "--set", "raters.member.noise=1.5", "--out", str(tmp_path / "cli"))
    r.write(tmp_path / "py")
    _same_files(_tree(tmp_path / "py"), tmp_path / "cli")
    assert set(r.metrics.columns) >= {"model", "metric", "value", "lo", "hi"}
    assert r.manifest["replicates"] == 4
    assert r.manifest["overrides"] == ["raters.member.noise=1.5", "replicates=4"]
    assert r.evaluees["ratee"].dtype == object
    assert len(r.evaluees) > 0
    assert r.scores is not None and "true_quality" in r.scores.columns


def test_run_with_periods_keeps_periods_csv(tmp_path):
    path = os.path.join(os.path.dirname(QUICKSTART), "traffic_light_quarterly.toml")
    r = evalsim.run(path, replicates=3, threads=1)
    cli("run", path, "--replicates", "3", "--threads", "1", "--out", str(tmp_path / "cli"))
    _same_files(r.write(tmp_path / "py") and _tree(tmp_path / "py"), tmp_path / "cli")
    assert list(r.periods.columns) == ["period", "model", "metric", "value", "lo", "hi"]
    assert sorted(r.periods["period"].unique()) == [1, 2, 3, 4]
    assert evalsim.run(QUICKSTART, replicates=2).periods is None


def test_generate_matches_the_command_line(tmp_path):
    g = evalsim.generate(QUICKSTART, replicate=2)
    cli("generate", QUICKSTART, "--replicate", "2", "--out", str(tmp_path / "cli"))
    _same_files(g.files, tmp_path / "cli")
    assert list(g.ballots.columns[:3]) == ["rater", "ratee", "grade"]
    assert len(g.truth) == g.truth["ratee"].nunique()
    # The generated ballots score the same from the frame as from the file.
    pd.testing.assert_frame_equal(
        evalsim.score(g.ballots, model="weighted_mean", levels=4),
        evalsim.score(tmp_path / "cli" / "ballots.csv", model="weighted_mean", levels=4))


def test_sweep_matches_the_command_line(tmp_path):
    s = evalsim.sweep(QUICKSTART, vary={"raters.member.noise": [0.5, 1.5]}, replicates=3,
                      threads=2)
    cli("sweep", QUICKSTART, "--vary", "raters.member.noise=0.5,1.5", "--replicates", "3",
        "--threads", "2", "--out", str(tmp_path / "cli"))
    assert s.files["sweep.csv"] == (tmp_path / "cli" / "sweep.csv").read_bytes()
    assert set(s.table["point"]) == {1, 2}


# --- Ctrl-C -------------------------------------------------------------------

def test_sigint_stops_a_long_run_with_keyboard_interrupt():
    script = textwrap.dedent(f"""
        import sys, evalsim
        try:
            print("started", flush=True)
            evalsim.run({QUICKSTART!r}, replicates=100000, threads=1)  # minutes
        except KeyboardInterrupt:
            print("KeyboardInterrupt", flush=True)
            sys.exit(3)
        sys.exit(0)
        """)
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=dict(os.environ))
    assert p.stdout.readline().strip() == b"started"
    time.sleep(1.0)  # let the run start
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=120)  # a hang guard, not a timing test
    except subprocess.TimeoutExpired:
        p.kill()
        raise
    assert p.returncode == 3, err.decode()
    assert b"KeyboardInterrupt" in out
