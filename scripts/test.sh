#!/usr/bin/env bash
# The project's test command (README: `npm test`).
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p .
npx eslint .
npx mocha
