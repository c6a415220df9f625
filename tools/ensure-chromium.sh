#!/usr/bin/env bash
# Make sure Debian's Chromium (and CJK fonts for screenshots) exist for the browser tests.
set -euo pipefail
if [[ -n "${CHROMIUM:-}" && -x "${CHROMIUM}" ]] || command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian chromium and fonts-noto-cjk for the browser tests ..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  sudo apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
else
  echo "error: Chromium is required for the browser tests: install it (Debian: apt-get install chromium) or set CHROMIUM=/path/to/chrome" >&2
  exit 1
fi
