#!/usr/bin/env bash
# Runs every test CloudTask has, from a fresh clone on a fresh Debian machine:
# installs what is missing, builds, checks the layer rules, runs the suites.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v swift >/dev/null 2>&1; then
  echo "swift is not on PATH: install Swift 6.x first (https://www.swift.org/install/linux/)" >&2
  exit 1
fi

echo "== layer rules"
./scripts/check-layers.sh

echo "== build"
swift build --build-tests

echo "== tests"
swift test --skip-build
