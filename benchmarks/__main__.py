"""`make bench`: Opsroom's speed and quality figures, printed as tables.

Each benchmark module registers a function in SUITES; `make bench BENCH_ARGS="demo"` runs one.
Runs against a throwaway database under var/bench/ (SQLite) and, when
OPSROOM_BENCH_DATABASE_URL is set, against that PostgreSQL database too.
"""

import argparse
import sys

from benchmarks.registry import SUITES, load_suites


def main(argv: list[str]) -> int:
    load_suites()
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument(
        "suites", nargs="*", help=f"suites to run (default all): {', '.join(SUITES)}"
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args(argv)
    unknown = [name for name in args.suites if name not in SUITES]
    if unknown:
        parser.error(f"unknown suite(s) {unknown}; choose from {', '.join(SUITES)}")
    for name in args.suites or list(SUITES):
        print(f"\n## {name}\n")
        SUITES[name](quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
