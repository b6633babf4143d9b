#!/usr/bin/env bash
# Installs the Debian 12 packages OmniScope needs to build, test and run,
# skipping what is already installed. Needs root (or sudo).
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config git
  # C++ libraries
  libgrpc++-dev protobuf-compiler-grpc libabsl-dev libyaml-cpp-dev librocksdb-dev
  libcivetweb-dev civetweb libcurl4-openssl-dev catch2 libsnappy-dev libzstd-dev
  libbenchmark-dev libre2-dev libssl-dev libcrypt-dev zlib1g-dev
  # the real programs our compatibility tests compare against
  prometheus prometheus-alertmanager
  # test tools
  curl openssl python3 python3-jsonschema yamllint
  # time zones for time_intervals with a location (tests use Pacific/Kiritimati)
  tzdata
  # tests/charts renders the Helm templates with a small Go program (Helm's template engine)
  golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v2-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# The prometheus packages start services on install where systemd runs; we
# never rely on those instances (tests start their own on port 0).
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
