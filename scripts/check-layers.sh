#!/usr/bin/env bash
# Checks that the layers of the README's table hold, in Package.swift and in every
# source file: Domain depends on nothing, Ports only on Domain, Application only on
# Domain and Ports; the background services (Consumers) on the core alone; HTTP on the
# core and Hummingbird (no adapter, no driver, no C shim); Runtime (the composition of
# adapters and consumers) on everything but HTTP; only the API's executable composes
# HTTP. Package.swift already makes a forbidden import a compile error; this names the
# rule when someone edits Package.swift to "fix" that error.
set -euo pipefail
cd "$(dirname "$0")/.."

swift package dump-package | python3 -c '
import json, sys
package = json.load(sys.stdin)
core = {"Domain", "Ports", "Application"}
allowed = {
    "Domain": set(), "Ports": {"Domain"}, "Application": {"Domain", "Ports"},
    "Consumers": core | {"Telemetry", "Tracing", "ServiceLifecycle", "Logging", "Metrics"},
    "HTTP": core | {"APIModels", "Telemetry", "Tracing", "Hummingbird", "ServiceLifecycle", "Metrics"},
    "Telemetry": {"Domain", "Tracing"},
    "APIModels": set(),
    "Runtime": core | {"Infrastructure", "Consumers", "Telemetry", "Tracing", "OTel", "ServiceLifecycle", "UnixSignals",
                       "Prometheus", "Metrics", "Logging", "PostgresNIO"},
}
failed = False
for target in package["targets"]:
    name = target["name"]
    if name not in allowed:
        continue
    deps = set()
    for dep in target.get("dependencies", []):
        for kind in ("byName", "target", "product"):
            if kind in dep:
                deps.add(dep[kind][0])
    extra = deps - allowed[name]
    if extra:
        print(f"layer violation: {name} depends on {sorted(extra)}; allowed: {sorted(allowed[name])}")
        failed = True
sys.exit(1 if failed else 0)
'

allowed_imports='^(public |internal |private |fileprivate |package )?import (Foundation|Synchronization|Domain|Ports)$'
bad=$(grep -rhE '^\s*(public |internal |private |fileprivate |package )?import ' Sources/Domain Sources/Ports Sources/Application \
  | sed 's/^[[:space:]]*//' | grep -vE "$allowed_imports" || true)
domain_bad=$(grep -rhE '^\s*(public )?import (Ports|Application)' Sources/Domain || true)
if [ -n "$bad" ] || [ -n "$domain_bad" ]; then
  echo "layer violation: forbidden imports in Domain/Ports/Application:"
  echo "$bad$domain_bad"
  exit 1
fi
# The outer layers, as the README's table states them: the background services speak
# only to the core (no adapter, no driver, no HTTP); HTTP reaches no driver or C shim;
# nothing but the API's executable imports HTTP.
check_imports() {  # DIRECTORY ALLOWED-REGEX WHAT
  local found
  found=$(grep -rhE '^\s*(public |internal |private |fileprivate |package )?import ' "$1" \
    | sed -E 's/^[[:space:]]*((public|internal|private|fileprivate|package) )?import //' | sort -u | grep -vE "^($2)$" || true)
  if [ -n "$found" ]; then
    echo "layer violation: $1 imports $(echo $found | tr '\n' ' '): $3"
    exit 1
  fi
}
check_imports Sources/Consumers 'Foundation|Synchronization|Domain|Ports|Application|Telemetry|Tracing|ServiceLifecycle|Logging|Metrics|CoreMetrics' \
  "the background services use the core's ports only"
check_imports Sources/HTTP 'Foundation|Synchronization|Domain|Ports|Application|APIModels|Telemetry|Tracing|Hummingbird|HTTPTypes|NIOCore|ServiceLifecycle|Logging|Metrics|CoreMetrics' \
  "HTTP maps requests to use cases on the core's ports: no adapter (Infrastructure), no driver, no C shim"
check_imports Sources/APIModels 'Foundation' "the contract's types are plain Codable values, shared with the client"
check_imports Sources/Telemetry 'Domain|Tracing|Synchronization' "spans and trace context, for the layers outside the core"
check_imports Sources/Runtime 'Foundation|Synchronization|Domain|Ports|Application|Infrastructure|Consumers|Telemetry|Tracing|OTel|ServiceLifecycle|UnixSignals|Prometheus|Metrics|CoreMetrics|Logging|PostgresNIO' \
  "Runtime composes adapters and consumers; the HTTP server is the API executable's"
for dir in Sources/Runtime Sources/cloudtask-worker Sources/Infrastructure Sources/Consumers; do
  if grep -rqE '^\s*(public )?import HTTP$' "$dir"; then
    echo "layer violation: $dir imports HTTP (only cloudtask-api composes it)"
    exit 1
  fi
done

echo "layers: Domain -> (nothing), Ports -> Domain, Application -> Domain + Ports; Consumers -> the core; HTTP -> the core + Hummingbird; Runtime -> all but HTTP; HTTP composed by cloudtask-api alone: ok"
