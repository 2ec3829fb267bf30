#!/usr/bin/env bash
# Installs the Debian packages evalsim needs to build, test and benchmark,
# but only those that are missing. Works as root or through sudo.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libeigen3-dev        # linear algebra (models)
  libtomlplusplus-dev  # scenario files
  libfmt-dev           # formatting
  libcli11-dev         # command line
  nlohmann-json3-dev   # manifest.json
  libtbb-dev           # parallel loops over meetings and replicates
  libcsv-dev           # RFC 4180 CSV reader (ballot files)
  pybind11-dev python3-pybind11 python3-dev  # the Python package (python/)
  python3-pandas python3-numpy python3-pytest  # its data frames and its tests
  libabsl-dev          # flat hash maps of the ballot-file readers' names
  libssl-dev           # SHA-256 of scenario files
  zlib1g-dev           # gzip-compressed per-replicate score tables
  libopenmpi-dev openmpi-bin  # optional: distributed runs under mpirun (sim/mpi)
  libgtest-dev libgmock-dev googletest
  libbenchmark-dev
  clang-format         # the style check in .ci/run and `make format`
  clang libclang-rt-dev  # libFuzzer targets (`make fuzz`)
  chromium chromium-driver  # the report's browser test
  fonts-noto-cjk       # Chinese labels in the report's screenshots
)
# npm installs the report's chart scripts at build time; Node.js may come
# from Debian (nodejs + npm) or already be on the machine with its own npm.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "evalsim: installing missing Debian packages: ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "evalsim: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
