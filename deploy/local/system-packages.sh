#!/usr/bin/env bash
# Install the Debian packages listed in the given files (one a line, # comments), or name them.
# As root with apt-get it installs what is missing; otherwise it prints the exact command and fails,
# so nothing runs with, say, PDFs that show boxes instead of Chinese.
set -euo pipefail
(($#)) || { echo "usage: $0 LIST..." >&2; exit 2; }
mapfile -t packages < <(grep -hv '^\s*#' "$@" | grep -v '^\s*$' | sort -u)
missing=()
if command -v dpkg-query >/dev/null; then
  for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
else
  echo "[system-packages] no dpkg here: make sure these (Debian names) are installed: ${packages[*]}" >&2
  exit 0
fi
((${#missing[@]})) || exit 0
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "[system-packages] apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "[system-packages] missing Debian packages: ${missing[*]}" >&2
  echo "[system-packages] run: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
