#!/usr/bin/env python3
"""Fails when SQL on `jobs` or `queue_pauses` is written outside the job store.

The dashboard, the API and the gauges read the queue through `JobStore` (Sources/JobQueue/Store/,
`JobStore+Stats` and the like) and the safety nets through `SafetyNetReadings`, so one question
has one answer. A statement naming either table under Sources/API or Sources/Monitoring is a
second answer in the wrong room:

    python3 ops/check-sql-rooms.py      # prints each such line, exits 1 if any
"""
import os
import re
import sys

ROOMS = ["Sources/API", "Sources/Monitoring"]
# SQL keywords are written in capitals in this codebase; prose ("taken from jobs") is not.
STATEMENT = re.compile(r"\b(?:FROM|JOIN|UPDATE|INTO|TABLE)\s+(?:ONLY\s+)?(jobs|queue_pauses|job_queue_stats)\b")
TABLE = re.compile(r"\bqueue_pauses\b")


def main():
    problems = []
    for room in ROOMS:
        for root, _, files in os.walk(room):
            for name in sorted(files):
                if not name.endswith(".swift"):
                    continue
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as source:
                    for number, line in enumerate(source, 1):
                        match = STATEMENT.search(line) or TABLE.search(line)
                        if match:
                            problems.append(f"{path}:{number}: SQL on {match.group(1) if match.groups() else match.group(0)} "
                                            f"outside the store: add a read to JobStore (Sources/JobQueue/Store/JobStore+Stats*.swift) "
                                            f"and call it")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"sql rooms: no query on jobs or queue_pauses under {', '.join(ROOMS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
