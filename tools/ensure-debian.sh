#!/usr/bin/env bash
# Make sure the Debian packages the build and the tests use are installed: Chromium (diagrams are laid out
# at build; browser tests), CJK fonts (diagram text, screenshots) and a Java runtime (the Nu Html Checker).
set -euo pipefail
missing=()
if ! { [[ -n "${CHROMIUM:-}" && -x "${CHROMIUM}" ]] || command -v chromium >/dev/null 2>&1; }; then missing+=(chromium); fi
# grep reads all of fc-list's output: with -q it would stop early and, under pipefail, the SIGPIPE of fc-list
# (status 141) would count the installed fonts as missing
if ! fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null; then missing+=(fonts-noto-cjk); fi
if ! command -v java >/dev/null 2>&1; then missing+=(default-jre-headless); fi
((${#missing[@]})) || exit 0
echo "Installing Debian packages: ${missing[*]} ..."
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  sudo apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "error: please install ${missing[*]} (Debian: apt-get install ${missing[*]}), or set CHROMIUM=/path/to/chrome" >&2
  exit 1
fi
