#!/usr/bin/env python3
"""Fails when a target imports a module that Package.swift does not declare as its dependency,
or declares a dependency that none of its files imports (a stale edge in the module graph).

SwiftPM's own `--explicit-target-dependency-import-check error` (which ops/test.sh also passes)
depends on the compiler's import prescan and, on the Swift 6.3 toolchain here, passes a target
that imports an undeclared module without a word. So the module graph the README shows is
checked here too, from `swift package dump-package` and the sources' import lines:

    python3 ops/check-imports.py        # prints each undeclared import and each unused
                                        # dependency, exits 1 if any
"""
import json
import os
import re
import subprocess
import sys

# Modules of the toolchain and the system, which no manifest declares.
SYSTEM = {
    "Foundation", "FoundationEssentials", "FoundationNetworking", "FoundationXML", "Glibc", "Musl",
    "Darwin", "Dispatch", "Synchronization", "Testing", "XCTest", "_Concurrency", "Swift",
}
IMPORT = re.compile(r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)")


def declared(target):
    names = set()
    for dependency in target["dependencies"]:
        for how in ("byName", "target", "product"):
            if how in dependency:
                names.add(dependency[how][0])
    return names


def imports(folder):
    """(module, file, line) for every import outside multi-line string literals."""
    found = []
    for root, _, files in os.walk(folder):
        for name in sorted(files):
            if not name.endswith(".swift"):
                continue
            path = os.path.join(root, name)
            in_string = False
            with open(path, encoding="utf-8") as source:
                for number, line in enumerate(source, 1):
                    if line.count('"""') % 2 == 1:
                        in_string = not in_string
                        continue
                    if in_string:
                        continue
                    match = IMPORT.match(line)
                    if match:
                        found.append((match.group(1), path, number))
    return found


def main():
    package = json.loads(subprocess.run(["swift", "package", "dump-package"], check=True,
                                        capture_output=True, text=True).stdout)
    problems = []
    for target in package["targets"]:
        if target["type"] == "system":
            continue
        folder = target.get("path") or os.path.join("Tests" if target["type"] == "test" else "Sources", target["name"])
        allowed = declared(target) | SYSTEM | {target["name"]}
        found = imports(folder)
        for module, path, number in found:
            if module not in allowed:
                problems.append(f"{path}:{number}: target {target['name']} imports {module} without declaring it "
                                f"in Package.swift: add it to the target's dependencies")
        imported = {module for module, _, _ in found}
        for module in sorted(declared(target) - imported):
            problems.append(f"Package.swift: target {target['name']} declares {module} but none of its files in {folder} "
                            f"imports it: remove it from the target's dependencies")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"imports: every target declares what it imports and imports what it declares ({len(package['targets'])} targets)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
