#!/usr/bin/env bash
# Runs a build of evalsim over every shipped scenario and the test fixtures
# and keeps each command's deterministic outputs in one directory, so that
# two builds can be compared byte for byte:
#
#   tools/snapshot.sh build /tmp/snap-before     # on the old commit
#   tools/snapshot.sh build /tmp/snap-after      # on the new one
#   diff -r /tmp/snap-before /tmp/snap-after
#
# manifest.json is kept without its wall-time and memory fields (they vary
# from run to run); everything else is kept as written. The municipal
# scenarios run at their documented small-size knob, the others at a few
# replicates, so that the whole snapshot takes minutes.
set -euo pipefail
BUILD=${1:?usage: tools/snapshot.sh BUILD_DIR OUT_DIR}
OUT=${2:?usage: tools/snapshot.sh BUILD_DIR OUT_DIR}
BIN="$(cd "$BUILD" && pwd)/evalsim"
SRC="$(cd "$(dirname "$0")/.." && pwd)"
THREADS=${THREADS:-2}
rm -rf "$OUT"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
cd "$SRC"

# Strips the fields that legitimately vary between two runs of one build.
clean_manifest() {
  python3 - "$1" <<'PY'
import json, sys
p = sys.argv[1]
m = json.load(open(p), object_pairs_hook=lambda kv: dict(kv))
for k in ("wall_time", "threads", "git_describe", "memory_estimate_bytes"):
    m.pop(k, None)
open(p, "w").write(json.dumps(m, indent=1, ensure_ascii=False) + "\n")
PY
}

keep_dir() {  # keep_dir SRC_DIR DEST_DIR
  local f p
  mkdir -p "$2"
  for f in "$1"/*; do
    [ -f "$f" ] || continue
    case "$(basename "$f")" in
      *.gz) gzip -dc "$f" >"$2/$(basename "$f" .gz)" ;;
      *) cp "$f" "$2/" ;;
    esac
  done
  [ -f "$2/manifest.json" ] && clean_manifest "$2/manifest.json"
  if [ -d "$1/points" ]; then
    for p in "$1"/points/*; do keep_dir "$p" "$2/points/$(basename "$p")"; done
  fi
  return 0
}

small() {  # the size override of a scenario, if it needs one
  case "$1" in
    municipal_member_appraisal | municipal_secretary_appraisal) echo "--set organisation.levels.district.count=1 --set organisation.levels.town.count=10 --replicates 2" ;;
    national_member_appraisal) echo "--set organisation.levels.province.count=1 --set organisation.levels.committee.count=20 --replicates 2" ;;
    *) echo "--replicates 3" ;;
  esac
}

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
for f in scenarios/*.toml; do
  n=$(basename "$f" .toml)
  # shellcheck disable=SC2046
  "$BIN" run "$f" $(small "$n") --threads "$THREADS" --out "$TMP/run-$n" >"$OUT/run-$n.stdout" 2>/dev/null \
    || echo "exit $?" >>"$OUT/run-$n.stdout"
  sed -i -E 's/[0-9.]+ s on [0-9]+ threads/T s on N threads/' "$OUT/run-$n.stdout"
  [ -d "$TMP/run-$n" ] && keep_dir "$TMP/run-$n" "$OUT/run-$n"
  "$BIN" validate "$f" >"$OUT/validate-$n.stdout" 2>&1 || echo "exit $?" >>"$OUT/validate-$n.stdout"
done

"$BIN" run scenarios/quickstart.toml --replicates 3 --per-replicate --threads 1 --out "$TMP/perrep" >/dev/null
keep_dir "$TMP/perrep" "$OUT/run-quickstart-per-replicate"

"$BIN" generate scenarios/quickstart.toml --out "$TMP/gen" >/dev/null
keep_dir "$TMP/gen" "$OUT/generate-quickstart"
"$BIN" generate scenarios/horse_race.toml --replicate 2 --out "$TMP/gen2" >/dev/null
keep_dir "$TMP/gen2" "$OUT/generate-horse_race"

score() {  # score NAME ARGS...
  local name=$1; shift
  "$BIN" score "$@" >"$OUT/score-$name.csv" 2>"$OUT/score-$name.stderr" || echo "exit $?" >>"$OUT/score-$name.stderr"
}
for m in $("$BIN" models | grep -E '^[a-z_]+  \(input: ratings\)' | cut -d' ' -f1); do
  score "$m" --model "$m" --ballots "$TMP/gen/ballots.csv"
done
for m in bradley_terry rank_centrality hodgerank elo; do
  score "pw-$m" --model "$m" --format pairwise --ballots tests/data/pairwise_small.csv
  score "rt-$m" --model "$m" --ballots tests/data/ratings_small.csv
done
for m in borda copeland schulze kemeny; do
  score "pl-$m" --model "$m" --format preflib --ballots tests/data/preflib/00002-00000007.soi
done
for m in composite topsis grey_relational; do
  score "ind-$m" --model "$m" --format indicators --ballots tests/data/indicators_small.csv
done
score trimmed --model trimmed_mean --ballots "$TMP/gen/ballots.csv" --set trim_count=2
score boot --model weighted_mean --ballots "$TMP/gen/ballots.csv" --bootstrap 200 --jackknife --threads "$THREADS"
score boot-rs --model rating_scale --ballots tests/data/ratings_small.csv --bootstrap 50 --level 0.9
score bad --model weighted_mean --ballots tests/data/ratings_bad_grade.csv
"$BIN" models >"$OUT/models.stdout"
for w in entropy critic; do
  "$BIN" weights --method $w --ballots tests/data/indicators_small.csv >"$OUT/weights-$w.json" 2>&1 \
    || echo "exit $?" >>"$OUT/weights-$w.json"
done
printf ',speed,cost,service\nspeed,1,3,5\ncost,1/3,1,3\nservice,1/5,1/3,1\n' >"$TMP/crit.csv"
"$BIN" ahp "$TMP/crit.csv" >"$OUT/ahp.json"

"$BIN" sweep scenarios/quickstart.toml --vary raters.superior.weight=0.3,0.2 --replicates 3 \
  --threads "$THREADS" --out "$TMP/sweep" >"$OUT/sweep.stdout" 2>/dev/null
sed -i -E 's/[0-9.]+ s\b/T s/g' "$OUT/sweep.stdout"
keep_dir "$TMP/sweep" "$OUT/sweep"
"$BIN" sweep scenarios/cq_towns_1031.toml --leniency-curve --replicates 2 --models standard \
  --threads "$THREADS" --out "$TMP/sweep2" >/dev/null 2>&1 || true
[ -d "$TMP/sweep2" ] && keep_dir "$TMP/sweep2" "$OUT/sweep-leniency"
"$BIN" manipulate scenarios/canvassing_presets.toml --bury --threads "$THREADS" --out "$TMP/manip" \
  >"$OUT/manipulate.stdout" 2>/dev/null
sed -i -E 's/[0-9.]+ s\b/T s/g' "$OUT/manipulate.stdout"
keep_dir "$TMP/manip" "$OUT/manipulate"
"$BIN" report "$TMP/manip" --out "$OUT/manipulate/report-rebuilt.html" >/dev/null
# What differs between two builds of the same code: the temporary directory,
# timings (the summary table's last column) and the version in the page.
python3 - "$OUT" "$TMP" <<'PY'
import os, re, sys
out, tmp = sys.argv[1], sys.argv[2]
for d, _, files in os.walk(out):
    for name in files:
        p = os.path.join(d, name)
        if not name.endswith((".stdout", ".stderr", ".html")):
            continue
        t = open(p, encoding="utf-8", errors="surrogateescape").read()
        t = t.replace(tmp, "TMP")
        if name.endswith(".html"):
            t = re.sub(r'"git_describe":"[^"]*"', '"git_describe":"G"', t)
            t = re.sub(r"<dt>git describe</dt><dd>[^<]*</dd>", "<dt>git describe</dt><dd>G</dd>", t)
        else:
            t = re.sub(r"^(\S+(?:\s+[-0-9.]+)+?)\s+[0-9.]+$", r"\1 T", t, flags=re.M)
            t = re.sub(r"[0-9.]+ GiB available", "M GiB available", t)
        open(p, "w", encoding="utf-8", errors="surrogateescape").write(t)
PY
echo "snapshot: $(find "$OUT" -type f | wc -l) files in $OUT"
