"""evalsim from Python: scenarios, runs and scores as pandas data frames.

The functions mirror the command line and run the same C++ code:

    run(path, set=..., replicates=..., threads=...)   # evalsim run
    score(ballots, model=..., **params)                # evalsim score
    generate(path, replicate=1)                        # evalsim generate
    sweep(path, vary={...})                            # evalsim sweep
    models()                                           # evalsim models

Bad input (a scenario key, a ballot row, a model parameter) raises
ValueError with the command line's message (file:line:col where known);
an internal error raises RuntimeError. The C++ work runs with the GIL
released, and Ctrl-C (KeyboardInterrupt) stops it at its next check.
"""

import io
import json
import math
import os
import tempfile
import warnings

import numpy as np
import pandas as pd

from . import _evalsim

__all__ = ["run", "score", "generate", "sweep", "models", "Run", "Generated", "Sweep"]
__version__ = _evalsim.version

_NAME_COLUMNS = ("rater", "ratee", "group")
_RATINGS_COLUMNS = ("rater", "ratee", "grade", "group", "weight", "item")
# Columns that name things stay text when a table is read back.
_TEXT_COLUMNS = ("model", "ratee", "rater", "group", "winner", "loser", "unit", "metric",
                 "class", "item")


# --- values -----------------------------------------------------------------

def _toml(value):
    """A Python value as a TOML value (the text of `--set key=VALUE`)."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)} = {_toml(v)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple, np.ndarray)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as a TOML value: {value!r}")


def _sets(values):
    """`key=value` strings, as --set flags, from a dict (or such strings)."""
    if values is None:
        return []
    if isinstance(values, dict):
        return [f"{k}={_toml(v)}" for k, v in values.items()]
    return [str(v) for v in values]


# Columns of real numbers stay floats even when every value is whole.
_FLOAT_COLUMNS = ("score", "se", "lo", "hi", "value", "true_quality")


def _read_table(data):
    """A CSV output file (bytes) as a data frame, name columns as text and
    empty cells as NaN."""
    head = data.split(b"\n", 1)[0].decode("utf-8").split(",")
    frame = pd.read_csv(io.BytesIO(data), dtype={c: str for c in head if c in _TEXT_COLUMNS},
                        keep_default_na=False, na_values=[""])
    for c in frame.columns:
        if c in _FLOAT_COLUMNS:
            frame[c] = frame[c].astype("float64")
    return frame


def _read_directory(path):
    """Every file under `path`, by relative path, as bytes."""
    files = {}
    for root, _, names in os.walk(path):
        for name in names:
            full = os.path.join(root, name)
            rel = os.path.relpath(full, path).replace(os.sep, "/")
            with open(full, "rb") as f:
                files[rel] = f.read()
    return files


def _warn(lines):
    for line in lines:
        warnings.warn(line, stacklevel=3)


def _in_private_directory(call):
    """Runs call(out) into a private temporary directory and returns the
    files it wrote, by relative path (the directory is then removed)."""
    with tempfile.TemporaryDirectory(prefix="evalsim-") as tmp:
        out = os.path.join(tmp, "out")
        result = call(out)
        return result, _read_directory(out)


class _Files:
    """Output files kept in memory, written out byte for byte by write()."""

    def __init__(self, files):
        self.files = files  # relative path -> bytes

    def write(self, directory):
        """Writes every file into `directory` (created when missing), the
        same bytes the command line writes with --out."""
        for rel, data in sorted(self.files.items()):
            path = os.path.join(directory, *rel.split("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        return directory

    def _table(self, name):
        return _read_table(self.files[name]) if name in self.files else None


# --- run ----------------------------------------------------------------------

class Run(_Files):
    """The outputs of run(): `metrics` (metrics.csv), `evaluees`
    (evaluees.csv), `scores` (scores.csv, where the run keeps every
    replicate's scores; else its summary form), `fairness` (fairness.csv),
    `periods` (periods.csv, for a scenario with [periods]; else None),
    `manifest` (manifest.json as a dict), `files` (every file as bytes) and
    `write(dir)`, which writes the files of `evalsim run --out dir`."""

    def __init__(self, files):
        super().__init__(files)
        self.manifest = json.loads(files["manifest.json"])
        self.metrics = self._table("metrics.csv")
        self.evaluees = self._table("evaluees.csv")
        self.scores = self._table("scores.csv")
        self.fairness = self._table("fairness.csv")
        self.periods = self._table("periods.csv")

    def __repr__(self):
        return (f"<evalsim.Run {self.manifest.get('scenario_file', '')}: "
                f"{len(self.metrics)} metric rows, files {sorted(self.files)}>")


def _overrides(set, seed, replicates):
    o = _sets(set)
    if seed is not None:
        o.append(f"seed={int(seed)}")
    if replicates is not None:
        o.append(f"replicates={int(replicates)}")
    return o


def run(path, set=None, replicates=None, threads=None, seed=None, models=None):
    """Runs the scenario at `path` as `evalsim run` does and returns a Run.

    set        -- scenario overrides, {key.path: value} (as --set key.path=value);
                  values are Python numbers, strings, lists or dicts
    replicates -- override the replicate count (--replicates)
    threads    -- worker threads (--threads; default every core)
    seed       -- override the seed (--seed)
    models     -- run only these [[models]] entries (names)

    The run writes its files through the command line's writer into a
    private temporary directory, and the tables are read back from them, so
    that Run.write(dir) gives the command line's bytes. Ctrl-C stops the run
    (KeyboardInterrupt); bad input raises ValueError.

    >>> r = evalsim.run("scenarios/quickstart.toml", replicates=5)
    >>> r.metrics.query("metric == 'accuracy.spearman'")
    """
    overrides = _overrides(set, seed, replicates)
    warned, files = _in_private_directory(
        lambda out: _evalsim.run(os.fspath(path), overrides, int(threads or 0), out,
                                 list(models or [])))
    _warn(warned)
    return Run(files)


# --- generate -----------------------------------------------------------------

class Generated(_Files):
    """The outputs of generate(): `ballots` (ballots.csv), `truth`
    (truth.csv), `pairwise`, `indicators`, `meetings` (when the scenario has
    them, else None), `manifest` and `write(dir)`."""

    def __init__(self, files):
        super().__init__(files)
        self.manifest = json.loads(files["manifest.json"])
        self.ballots = self._table("ballots.csv")
        self.truth = self._table("truth.csv")
        self.pairwise = self._table("pairwise.csv")
        self.indicators = self._table("indicators.csv")
        self.meetings = self._table("meetings.csv")


def generate(path, replicate=1, set=None, threads=None, seed=None):
    """One replicate's ballots and the truth, as `evalsim generate` writes
    them; returns a Generated (ballots and truth as data frames)."""
    overrides = _overrides(set, seed, None)
    warned, files = _in_private_directory(
        lambda out: _evalsim.generate(os.fspath(path), overrides, int(threads or 0), out,
                                      int(replicate)))
    _warn(warned)
    return Generated(files)


# --- sweep --------------------------------------------------------------------

class Sweep(_Files):
    """The outputs of sweep(): `table` (sweep.csv), `summary` (summary.txt),
    `manifest`, `files` and `write(dir)`."""

    def __init__(self, files):
        super().__init__(files)
        self.manifest = json.loads(files["manifest.json"])
        self.table = self._table("sweep.csv")
        self.summary = files.get("summary.txt", b"").decode("utf-8")


def sweep(path, vary=None, set=None, replicates=None, threads=None, seed=None):
    """Runs the scenario at every point of a grid, as `evalsim sweep` does.

    vary -- {key.path: [v1, v2, ...]} (as --vary key.path=v1,v2,...); None
            uses the scenario's [sweep] table
    Returns a Sweep whose `table` is sweep.csv."""
    flags = []
    for key, values in (vary or {}).items():
        if not isinstance(values, (list, tuple, np.ndarray)):
            values = [values]
        flags.append(f"{key}=" + ",".join(_toml(v) for v in values))
    overrides = _overrides(set, seed, replicates)
    warned, files = _in_private_directory(
        lambda out: _evalsim.sweep(os.fspath(path), overrides, int(threads or 0), out, flags))
    _warn(warned)
    return Sweep(files)


# --- score --------------------------------------------------------------------

def _numbers(values):
    """A column as an array the core reads in place (int32, int64, float32
    or float64, contiguous); other dtypes are converted (one copy), and None
    means the column cannot be passed as numbers."""
    a = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if a.dtype.kind == "O" and isinstance(values, pd.Series) and \
            pd.api.types.is_numeric_dtype(values.dtype):
        a = values.to_numpy(dtype="float64", na_value=np.nan)  # nullable Int64
    if a.dtype.kind in "iu":
        if not (a.dtype.kind == "i" and a.dtype.itemsize in (4, 8)):
            a = a.astype(np.int64)
    elif a.dtype.kind == "f":
        if a.dtype.itemsize not in (4, 8):
            a = a.astype(np.float64)
    else:
        return None
    return np.ascontiguousarray(a)


def _rating_columns(columns):
    """(arrays, names) for the core from a mapping of ratings columns, or
    None when some column must go through CSV text (an `item` column, grades
    written as text)."""
    unknown = [c for c in columns if c not in _RATINGS_COLUMNS]
    if unknown or "item" in columns:
        return None
    arrays, names = {}, {}
    for c in columns:
        if c in _NAME_COLUMNS:
            codes, uniques = pd.factorize(np.asarray(columns[c]), use_na_sentinel=True)
            arrays[c] = codes
            names[c] = [str(u) for u in uniques]
        else:
            a = _numbers(columns[c])
            if a is None:
                return None
            arrays[c] = a
    return arrays, names


def _frame_csv(columns):
    """A mapping of columns as CSV text (NaN as an empty cell)."""
    frame = columns if isinstance(columns, pd.DataFrame) else pd.DataFrame(dict(columns))
    return frame.to_csv(index=False, lineterminator="\n")


def score(ballots, model, *, format="ratings", bootstrap=None, seed=None, threads=None,
          ties="split", **params):
    """Scores ballots with one model, as `evalsim score` does; returns a data
    frame ratee,score,rank[,se] sorted by rank (rank 1 the best; with
    bootstrap=N the interval columns of --bootstrap).

    ballots -- a pandas DataFrame (or a dict of NumPy arrays) with the
               columns of the ratings file: rater, ratee, grade and
               optionally group, weight (item); or a path to a ballot file
    model   -- a model name (see models())
    format  -- ratings (default), pairwise, preflib (path only) or indicators
    params  -- the model's parameters (as --set param=value), e.g.
               points=[0, 60, 80, 100], group_weights={"leader": 0.3}, levels=4
    bootstrap, seed, threads, ties -- as the command line's flags

    Ratings columns are read by the core in place when their dtypes allow:
    grade and weight as int32/int64/float32/float64 arrays (NaN grade =
    abstention); rater, ratee and group are numbered by pandas.factorize
    (one integer array each). The packed ballot layout is the one copy.
    Pairwise and indicators frames, an `item` column or text grades go
    through CSV text, whose messages name "DataFrame (as CSV):LINE".
    Bad input raises ValueError with the command line's message."""
    sets = _sets(params)
    path = text = None
    arrays, names = {}, {}
    if isinstance(ballots, (str, os.PathLike)):
        path = os.fspath(ballots)
    elif isinstance(ballots, (pd.DataFrame, dict)):
        cols = {c: ballots[c] for c in ballots.keys()}
        coded = _rating_columns(cols) if format == "ratings" else None
        if coded is None:
            text = _frame_csv(ballots)
        else:
            arrays, names = coded
    else:
        raise TypeError("ballots: expected a DataFrame, a dict of arrays or a path; found "
                        f"{type(ballots).__name__}")
    csv, notes = _evalsim.score(path, text, arrays, names, format, model, sets, ties,
                                int(bootstrap or 0), int(1 if seed is None else seed),
                                int(threads or 0))
    frame = _read_table(csv)
    frame.attrs["notes"] = list(notes)
    return frame


# --- models -------------------------------------------------------------------

def models():
    """The model registry as a data frame: name, input, summary and params
    (a list of {name, type, default, doc}), in the order `evalsim models`
    lists them."""
    return pd.DataFrame(_evalsim.models(), columns=["name", "input", "summary", "params"])
