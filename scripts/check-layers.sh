#!/usr/bin/env bash
# Checks that the hexagon's layers hold: Domain depends on nothing, Ports only on
# Domain, Application only on Domain and Ports; and that no source file in those
# layers imports anything else (a driver, NIO, Hummingbird, a C shim). Package.swift
# already makes such an import a compile error; this names the rule when someone
# edits Package.swift to "fix" that error.
set -euo pipefail
cd "$(dirname "$0")/.."

swift package dump-package | python3 -c '
import json, sys
package = json.load(sys.stdin)
allowed = {"Domain": set(), "Ports": {"Domain"}, "Application": {"Domain", "Ports"}}
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
echo "layers: Domain -> (nothing), Ports -> Domain, Application -> Domain + Ports: ok"
