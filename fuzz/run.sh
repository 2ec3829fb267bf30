#!/usr/bin/env bash
# Runs every libFuzzer target of BUILD (a build with -DEVALSIM_FUZZ=ON) for
# SECONDS each, one after the other:
#
#   bash fuzz/run.sh BUILD SECONDS
#
# Each target's corpus lives in BUILD/fuzz-corpus/<target> (kept between
# runs) and is seeded from the test data and scenarios that fit its reader
# and from tests/data/fuzz/<target>/ (valid seeds and inputs that once
# failed). A finding (crash, sanitizer report, exception other than
# InputError, hang over 10 s, memory over 2 GB, leak) is saved in
# BUILD/fuzz-findings/ and makes the script exit 1 once every target has run.
set -uo pipefail

if [[ $# -ne 2 || ! -d "$1" || ! "$2" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
seconds=$2
src=$(cd "$(dirname "$0")/.." && pwd)

# target: dictionary and seed files (globs relative to the source tree).
declare -A dicts=(
  [fuzz_scenario]=scenario.dict [fuzz_ratings]=csv.dict [fuzz_pairwise]=csv.dict
  [fuzz_preflib]=preflib.dict [fuzz_indicators]=csv.dict [fuzz_ahp]=csv.dict)
declare -A seeds=(
  [fuzz_scenario]="scenarios/*.toml"
  [fuzz_ratings]="tests/data/ratings_*.csv"
  [fuzz_pairwise]="tests/data/pairwise_*.csv"
  [fuzz_preflib]="tests/data/preflib/*.soc tests/data/preflib/*.soi tests/data/preflib/*.toc tests/data/preflib/*.toi"
  [fuzz_indicators]="tests/data/indicators_*.csv"
  [fuzz_ahp]="")
targets=(fuzz_scenario fuzz_ratings fuzz_pairwise fuzz_preflib fuzz_indicators fuzz_ahp)

findings_dir=$build/fuzz-findings
mkdir -p "$findings_dir"
failed=()
printf '%-16s %10s %8s  %s\n' target executions exec/s outcome
for t in "${targets[@]}"; do
  bin=$build/fuzz/$t
  if [[ ! -x $bin ]]; then
    printf '%-16s %10s %8s  %s\n' "$t" - - "MISSING ($bin not built)"
    failed+=("$t")
    continue
  fi
  corpus=$build/fuzz-corpus/$t
  mkdir -p "$corpus"
  (
    cd "$src"
    shopt -s nullglob
    for f in ${seeds[$t]} tests/data/fuzz/$t/*; do
      [[ -f $f ]] && cp -f "$f" "$corpus/seed-$(basename "$f")"
    done
  )
  log=$build/fuzz-$t.log
  "$bin" "$corpus" -dict="$src/fuzz/${dicts[$t]}" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
    -artifact_prefix="$findings_dir/$t-" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  if [[ $rc -eq 0 ]]; then
    outcome="ok ($(ls "$corpus" | wc -l) corpus files)"
  else
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    what=$(grep -m1 -oE 'ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer|libFuzzer): [^ ]+( [^ ]+)?|runtime error: .*|fuzz finding: .*|uncaught exception.*' "$log")
    outcome="FINDING (exit $rc): ${what:-see $log}; input: ${artifact:-none}; log: $log"
    failed+=("$t")
  fi
  printf '%-16s %10s %8s  %s\n' "$t" "${execs:--}" "${speed:--}" "$outcome"
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: findings in ${failed[*]} (inputs in $findings_dir)" >&2
  exit 1
fi
echo "fuzz: no findings"
