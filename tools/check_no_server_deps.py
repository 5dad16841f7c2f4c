#!/usr/bin/env python3
"""Checks that the `kru` executable and the `KRU` library product do not depend on the server's packages.

SwiftPM compiles a product's target closure only, so `swift build --product kru` (the README's first command) and
an app depending on `KRU` compile SwiftNIO and Hummingbird only if some target in that closure depends on them.
This walks the closure in `swift package describe --type json` and fails if any target in it uses a product other
than the allowed ones (swift-argument-parser for the CLI, and swift-crypto for `kru zoo`'s SHA-256 — neither pulls
in SwiftNIO). Run from the repository root; takes a few seconds.
"""
import json
import subprocess
import sys

ALLOWED = {"kru": {"ArgumentParser", "Crypto"}, "KRU": set()}

description = json.loads(subprocess.run(["swift", "package", "describe", "--type", "json"], check=True,
                                        capture_output=True, text=True).stdout)
targets = {t["name"]: t for t in description["targets"]}
products = {p["name"]: p for p in description["products"]}
failed = False
for product, allowed in ALLOWED.items():
    closure, stack = set(), list(products[product]["targets"])
    while stack:
        name = stack.pop()
        if name not in closure:
            closure.add(name)
            stack.extend(targets[name].get("target_dependencies") or [])
    used = {p for name in closure for p in targets[name].get("product_dependencies") or []}
    extra = sorted(used - allowed)
    print(f"{product}: targets {', '.join(sorted(closure))}; package products {', '.join(sorted(used)) or 'none'}")
    if extra:
        print(f"FAIL: {product} depends on {', '.join(extra)}", file=sys.stderr)
        failed = True
sys.exit(1 if failed else 0)
