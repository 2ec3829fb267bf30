#!/usr/bin/env bash
# Runs evalsim and every installed peer on the same ballot files and prints
# one table: task, ballots, tool, wall seconds (best of REPEAT runs of the
# whole process, start-up included), peak resident memory of that run, and
# the ratio of the tool's time to evalsim's on 2 threads.
#
#   bench/peers/run.sh                      # sizes 1e5 1e6 1e7
#   SIZES="1e5 1e6" REPEAT=1 bench/peers/run.sh
#
# Environment: BUILD (evalsim's build directory, default build), DATA (where
# the generated files are kept between runs, default /tmp/evalsim-peers),
# SIZES, REPEAT (default 3), TIMEOUT (seconds per run of a peer, default 600).
# Peers that are not installed are left out of the table; see README.md for
# the Debian packages. The system Python (/usr/bin/python3) is used, with
# Debian's pandas and numpy.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BUILD=${BUILD:-build}
EVALSIM="$(cd "$BUILD" && pwd)/evalsim"
DATA=${DATA:-/tmp/evalsim-peers}
SIZES=${SIZES:-"1e5 1e6 1e7"}
REPEAT=${REPEAT:-3}
TIMEOUT=${TIMEOUT:-600}
PY=/usr/bin/python3
mkdir -p "$DATA"
ROWS="$DATA/rows.txt"
: >"$ROWS"

have_py() { "$PY" -c "import pandas, numpy" 2>/dev/null; }
have_r() { command -v Rscript >/dev/null && Rscript -e "suppressMessages(library($1))" >/dev/null 2>&1; }

# measure TASK SIZE TOOL CMD...: best wall time of REPEAT runs and its peak RSS.
measure() {
  local task=$1 size=$2 tool=$3 best="" mb="" i t m rc
  shift 3
  for ((i = 0; i < REPEAT; i++)); do
    rc=0
    # Wall time to the millisecond from the clock (time's %e has two
    # decimals, too coarse for the small files); peak RSS from time.
    local t0 t1
    t0=$(date +%s%N)
    timeout "$TIMEOUT" /usr/bin/time -f "%M" -o "$DATA/time.txt" "$@" >/dev/null 2>"$DATA/last.err" || rc=$?
    t1=$(date +%s%N)
    if [ $rc -ne 0 ]; then
      [ -z "$best" ] && best=$([ $rc -eq 124 ] && echo "timeout (${TIMEOUT} s)" || echo "failed")
      break
    fi
    t=$(awk "BEGIN{printf \"%.3f\", ($t1 - $t0) / 1e9}")
    read -r m <"$DATA/time.txt"
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t mb=$((m / 1024)); fi
  done
  echo "$task|$size|$tool|$best|${mb:--}" >>"$ROWS"
  printf '  %-16s %-6s %-30s %s s  %s MB\n' "$task" "$size" "$tool" "$best" "${mb:--}" >&2
}

gen() {  # gen KIND SIZE -> path of the generated file
  local f="$DATA/$1_$2.csv"
  [ -s "$f" ] || "$PY" "$HERE/make_data.py" "$1" "$2" "$f"
  echo "$f"
}

echo "evalsim: $("$EVALSIM" --version 2>/dev/null || echo "$EVALSIM"); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for size in $SIZES; do
  r=$(gen ratings "$size")
  p=$(gen pairwise "$size")
  measure weighted_mean "$size" "evalsim (2 threads)" "$EVALSIM" score --model weighted_mean --ballots "$r" --out "$DATA/ev_wm.csv"
  measure weighted_mean "$size" "evalsim (1 thread)" taskset -c 0 "$EVALSIM" score --model weighted_mean --ballots "$r" --out "$DATA/ev_wm1.csv"
  if have_py; then
    measure weighted_mean "$size" "pandas+numpy" "$PY" "$HERE/pandas_weighted_mean.py" "$r" "$DATA/pd_wm.csv"
  fi
  if have_r data.table; then
    measure weighted_mean "$size" "data.table fread (1 thread)" Rscript "$HERE/datatable_weighted_mean.R" "$r" "$DATA/dt_wm.csv" 1
    measure weighted_mean "$size" "data.table fread (2 threads)" Rscript "$HERE/datatable_weighted_mean.R" "$r" "$DATA/dt_wm.csv" 2
  fi
  measure bradley_terry "$size" "evalsim (2 threads)" "$EVALSIM" score --model bradley_terry --format pairwise --set se=\"none\" --ballots "$p" --out "$DATA/ev_bt.csv"
  if have_py; then
    measure bradley_terry "$size" "numpy MM" "$PY" "$HERE/numpy_bt_mm.py" "$p" "$DATA/np_bt.csv"
    # The two weighted means agree (a check, printed with the table).
    "$PY" - "$DATA/ev_wm.csv" "$DATA/pd_wm.csv" "$size" >>"$DATA/checks.txt" <<'PY'
import sys, pandas as pd
a = pd.read_csv(sys.argv[1], dtype={"ratee": str}).set_index("ratee")["score"]
b = pd.read_csv(sys.argv[2], dtype={"ratee": str}).set_index("ratee")["score"]
print(f"weighted_mean {sys.argv[3]}: {len(a)} ratees, largest |evalsim - pandas| = {(a - b[a.index]).abs().max():.3g}")
PY
  fi
done

# The model peers, on designs they can fit (see README.md).
small=$(gen ratings 1e5)
measure mixed_effects 1e5 "evalsim" "$EVALSIM" score --model mixed_effects --ballots "$small" --out "$DATA/ev_me.csv"
if have_r lme4; then
  measure mixed_effects 1e5 "lme4 lmer" Rscript "$HERE/lme4_mixed_effects.R" "$small" "$DATA/lme4.csv"
fi
if have_r eRm; then
  [ -s "$DATA/rsm_200x20.csv" ] || Rscript "$HERE/erm_rating_scale.R" --simulate "$DATA/rsm_200x20.csv" >/dev/null
  measure rating_scale 4e3 "evalsim" "$EVALSIM" score --model rating_scale --ballots "$DATA/rsm_200x20.csv" --out "$DATA/ev_rs.csv"
  measure rating_scale 4e3 "eRm RSM" Rscript "$HERE/erm_rating_scale.R" "$DATA/rsm_200x20.csv"
fi
if have_r BradleyTerry2; then
  [ -s "$DATA/bt_500.csv" ] || Rscript "$HERE/bradleyterry2.R" simulate "$DATA/bt_500.csv" 500 1 >/dev/null
  measure bradley_terry 7.5e3 "evalsim" "$EVALSIM" score --model bradley_terry --format pairwise --ballots "$DATA/bt_500.csv" --out "$DATA/ev_bt500.csv"
  measure bradley_terry 7.5e3 "BradleyTerry2 BTm" Rscript "$HERE/bradleyterry2.R" fit "$DATA/bt_500.csv"
fi

# The table: each tool's time over evalsim's (2 threads, or the only evalsim row).
"$PY" - "$ROWS" <<'PY'
import sys
rows = [line.rstrip("\n").split("|") for line in open(sys.argv[1])]
base = {}
for task, size, tool, secs, mb in rows:
    if tool.startswith("evalsim") and (task, size) not in base and secs.replace(".", "").isdigit():
        base[(task, size)] = float(secs)
print(f"| task | ballots | tool | wall s | peak MB | × evalsim |")
print(f"|---|---:|---|---:|---:|---:|")
for task, size, tool, secs, mb in rows:
    ok = secs.replace(".", "").isdigit() and base.get((task, size), 0) > 0
    ratio = f"{float(secs) / base[(task, size)]:.2f}" if ok else "–"
    print(f"| {task} | {size} | {tool} | {secs} | {mb} | {ratio} |")
PY
[ -f "$DATA/checks.txt" ] && cat "$DATA/checks.txt" && rm -f "$DATA/checks.txt"
exit 0
