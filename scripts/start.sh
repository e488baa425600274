#!/usr/bin/env bash
# Builds and starts CloudTask. Today that is the embedded mode: the API and the
# workers in one process, everything in memory (data is lost when it exits).
# Settings come from CLOUDTASK_* variables (docs/configuration.md).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v swift >/dev/null 2>&1; then
  echo "swift is not on PATH: install Swift 6.x first (https://www.swift.org/install/linux/)" >&2
  exit 1
fi
swift build --product cloudtask-api
exec .build/debug/cloudtask-api --embedded "$@"
