#!/usr/bin/env bash
# Regenerates report/cq_towns_1031.png, the README's picture of a report:
# the top of the report.html of `evalsim run scenarios/cq_towns_1031.toml`
# (the scenario summary and the headline charts), as headless Chromium draws
# it at 1400 px wide.
#
#   report/screenshot.sh [BUILD_DIR]      # BUILD_DIR: default ./build
#
# Needs the `evalsim` target built in BUILD_DIR (`make demo` builds it),
# Chromium (the Debian package chromium, which `make test` installs) and
# fonts-noto-cjk for the Chinese labels.
#
# How it works: the run writes into a temporary directory. A first Chromium
# pass opens a copy of report.html with one extra script that, once the page
# says data-report-status="rendered", measures where the CHARTS-th chart
# figure ends; the second pass opens the unchanged report.html with a window
# that tall and saves the screenshot, so the picture ends below a whole chart
# rather than cutting one. --virtual-time-budget lets each pass run the
# page's scripts to completion before Chromium reads the page.
#
# Environment:
#   CHARTS     how many chart figures to show, from the top (default 2)
#   WIDTH      window width in CSS pixels (default 1400)
#   CHROMIUM   the browser (default: chromium on PATH)
#   OUT        where to write the picture (default report/cq_towns_1031.png)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
charts=${CHARTS:-2}
width=${WIDTH:-1400}
chromium=${CHROMIUM:-$(command -v chromium || true)}
out=${OUT:-$root/report/cq_towns_1031.png}

case "$charts$width" in
  *[!0-9]*) echo "screenshot.sh: CHARTS and WIDTH must be whole numbers" >&2; exit 1 ;;
esac
if [ ! -x "$build/evalsim" ]; then
  echo "screenshot.sh: $build/evalsim is missing; build it first (make demo)" >&2
  exit 1
fi
if [ -z "$chromium" ]; then
  echo "screenshot.sh: chromium is not installed (apt-get install chromium fonts-noto-cjk)" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/evalsim-screenshot-XXXXXX")
trap 'rm -rf "$work"' EXIT

# From the source tree, so that the page names the scenario by its relative
# path rather than by this machine's.
(cd "$root" && "$build/evalsim" run scenarios/cq_towns_1031.toml --out "$work/run" >/dev/null)
page="$work/run/report.html"

browse() {
  # Chromium with a fresh profile, no network services, killed after 120 s.
  timeout --kill-after=5 120 "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$work/profile-$1" --virtual-time-budget=20000 \
    "${@:2}" 2>>"$work/chromium.log"
}

# Pass 1: the height that holds the first $charts charts.
# The script goes after </html>: the HTML parser puts it at the end of <body>.
{
  cat "$page"
  cat <<EOF
<script>
(function () {
  function measure() {
    var b = document.body;
    var status = b.getAttribute('data-report-status');
    if (status === 'loading') { setTimeout(measure, 50); return; }
    if (status !== 'rendered') return;
    var figs = document.querySelectorAll('figure.chart');
    var last = figs[Math.min($charts, figs.length) - 1];
    var bottom = last ? last.getBoundingClientRect().bottom + window.scrollY : b.scrollHeight;
    b.setAttribute('data-shot-height', String(Math.ceil(bottom + 24)));
  }
  measure();
})();
</script>
EOF
} >"$work/measure.html"
height=$(browse measure --window-size="$width,1000" --dump-dom "file://$work/measure.html" |
  grep -o 'data-shot-height="[0-9]*"' | head -n 1 | grep -o '[0-9][0-9]*' || true)
if [ -z "$height" ]; then
  echo "screenshot.sh: the report did not render; Chromium's log:" >&2
  cat "$work/chromium.log" >&2
  exit 1
fi

# Pass 2: the picture.
browse shot --window-size="$width,$height" --screenshot="$work/shot.png" "file://$page" >/dev/null
mv "$work/shot.png" "$out"
echo "wrote $out (${width}x${height})"
