#!/usr/bin/env bash
# Formats the Swift sources in place with the toolchain's swift-format and the
# repository's .swift-format; the test command checks the same in lint mode.
set -euo pipefail
cd "$(dirname "$0")/.."
swift format format --in-place --recursive --parallel Sources Tests Package.swift
swift format lint --strict --recursive --parallel Sources Tests Package.swift
