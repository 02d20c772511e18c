#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it at /usr/bin/chromium), and
# poppler-utils (pdftoppm) for the PDF test. Installed only when missing.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
if [ "${#need[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}"
fi
