#!/usr/bin/env bash
# Install the system packages publisher's tests (and its font fallbacks) use, when missing.
# Debian/Ubuntu; needs root (or sudo). Safe to run again: installs only what is absent.
set -euo pipefail
PACKAGES=(
  poppler-utils qpdf libharfbuzz-subset0            # PDF inspection, fast font subsetting
  fonts-noto-core fonts-noto-cjk fonts-dejavu-core  # fallback faces: Greek, Cyrillic, Arabic, CJK
  fonts-noto-color-emoji                            # emoji shortcodes
  chromium                                          # screenshots and axe-core checks of the HTML edition
  default-jre-headless                              # EPUBCheck and the Nu HTML Checker
  libpdfbox2-java libactivation-java libjaxb-api-java  # PDFBox Preflight: PDF/A-1b check of the PDF
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Java may come from elsewhere on the machine: then the Debian JRE is not needed.
if command -v java >/dev/null 2>&1; then
  missing=("${missing[@]/default-jre-headless}")
fi
missing=($(printf '%s\n' "${missing[@]}" | sed '/^$/d'))
if [ ${#missing[@]} -eq 0 ]; then
  echo "system-deps: all present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system-deps: done"
