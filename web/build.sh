#!/usr/bin/env bash
# Build the web front-end into src/sitewatch/web/static/ (git-ignored).
# Needs Node.js >= 18 and npm; packages come from the npm registry at build time only.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm run build
