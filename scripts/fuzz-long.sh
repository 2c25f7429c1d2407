#!/usr/bin/env bash
# The long fuzz run (docs/reliability.md): the generators and mutators of the fuzz tier
# (tests/test_hardening_fuzz.py) with fresh random seeds for MINUTES minutes (default 25).
# Figures go to out/fuzz-report.json; every input that breaks the invariant is kept in
# out/fuzz-failures/ with what went wrong. Exit status 1 when a failure that is not a listed
# known bug (tests/fuzz.py KNOWN_BUGS) was found.
#
#   scripts/fuzz-long.sh [MINUTES] [--seed N] [--cli-every N] [--subprocess-every N]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-25}
shift || true
mkdir -p out
exec .venv/bin/python -m tests.fuzz --minutes "$minutes" --report out/fuzz-report.json \
    --failures out/fuzz-failures "$@"
