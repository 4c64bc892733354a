#!/usr/bin/env bash
# Install the npm tools the tests use (package.json at the repo root): vnu-jar (Nu HTML Checker), and any
# other validator listed there. Runs with the system Java/Chromium: no install script may download
# a JRE or a browser (there is no network for that), so scripts are skipped and the downloads disabled.
set -euo pipefail
cd "$(dirname "$0")/.."
export PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROMIUM_DOWNLOAD=1 CHROMEDRIVER_SKIP_DOWNLOAD=true
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
else
  npm install --no-audit --no-fund --ignore-scripts --loglevel=error
fi
test -f node_modules/vnu-jar/build/dist/vnu.jar
# Ace by DAISY (EPUB accessibility checker) has its own folder, tools/ace/, and runs with Debian's Chromium.
(cd tools/ace && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
test -x tools/ace/node_modules/.bin/ace-cli
echo "npm-deps: done"
