#!/usr/bin/env bash
# The test command (`npm test`, as the README says): builds, checks lint and formatting, brings up
# the real test environment (Docker engine, registries, git server; installed when missing),
# then runs the unit and integration suites on node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
rm -rf dist
npx tsc -p tsconfig.json
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --list-different .; echo "formatting differs: run npm run format" >&2; exit 1; }
bash test/env/up.sh
# One run, so there is one summary; integration tests share one engine, so files run in turn.
mapfile -t tests < <(find dist/test/unit dist/test/integration -name '*.test.js' | sort)
node --test --test-concurrency=1 "${tests[@]}"
