#!/usr/bin/env bash
# The wheel test (issue 16): build the sdist and the wheel, install each into its own clean virtualenv,
# then, from a folder outside the repository, `publisher build` content/ and `publisher check` the result.
# Usage: scripts/wheel-test.sh [PYTHON]   (default: .venv/bin/python, which needs the `build` package:
# it is in the test extras). pip's cache makes the installs after the first one quick.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
PY="${1:-$REPO/.venv/bin/python}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/publisher-wheel-test.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1

# `python -m build` makes the sdist, then the wheel FROM the sdist: a file missing from the sdist fails here.
"$PY" -m build --outdir "$WORK/dist" "$REPO" > "$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
WHEEL="$(ls "$WORK"/dist/*.whl)"
SDIST="$(ls "$WORK"/dist/*.tar.gz)"
for pattern in 'publisher/styles/print.css' 'publisher/styles/templates/fragment.pandoc' \
               'publisher/filters/headings.lua' 'publisher/tools/EpubCheckBatch.class'; do
  "$PY" -c 'import sys, zipfile; sys.exit(sys.argv[2] not in zipfile.ZipFile(sys.argv[1]).namelist())' "$WHEEL" "$pattern" \
    || { echo "wheel-test: $pattern is missing from $(basename "$WHEEL")" >&2; exit 1; }
done

for artifact in "$WHEEL" "$SDIST"; do
  kind="$(basename "$artifact")"
  venv="$WORK/venv-${kind##*.}"
  start=$SECONDS
  "$PY" -m venv "$venv"
  "$venv/bin/pip" install -q "$artifact" > "$WORK/pip.log" 2>&1 || { cat "$WORK/pip.log"; exit 1; }
  elsewhere="$WORK/elsewhere-${kind##*.}"
  mkdir -p "$elsewhere"
  ( cd "$elsewhere"
    where="$("$venv/bin/python" -c 'import publisher.resources as r; print(r.STYLES_DIR)')"
    case "$where" in "$venv"/*) ;; *) echo "wheel-test: styles found at $where, outside the venv" >&2; exit 1;; esac
    "$venv/bin/publisher" --version
    "$venv/bin/publisher" build "$REPO/content" -o out -j 2 -q
    "$venv/bin/publisher" check out )
  echo "wheel-test: $kind installs, builds content/ and passes check ($((SECONDS - start)) s)"
done
