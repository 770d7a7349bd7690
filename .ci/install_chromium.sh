#!/bin/sh
# Installs Chromium for the browser test (tests/browser/) when it is missing.
# Always exits 0: without Chromium the browser test is skipped with a loud
# warning that says why, and the rest of CI still runs.
set -u

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  echo "install_chromium: $CHROMIUM is present"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_chromium: WARNING no apt-get; install Chromium at $CHROMIUM by hand" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install_chromium: WARNING not root and no sudo; cannot install Chromium" >&2
    exit 0
  fi
fi
echo "install_chromium: installing chromium with apt-get"
if $SUDO apt-get update -qq &&
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
then
  echo "install_chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
else
  echo "install_chromium: WARNING apt-get failed; the browser test will be skipped" >&2
fi
exit 0
