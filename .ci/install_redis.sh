#!/bin/sh
# Installs redis-server for the cluster tests (tests/cluster/) when it is
# missing. Those tests start their own redis-server on a free port and fail,
# not skip, without it; this script exits 1 with the reason when it cannot
# install it, so the cause is in the log next to the failures.
set -u

if command -v redis-server >/dev/null 2>&1; then
  echo "install_redis: $(command -v redis-server) is present"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_redis: ERROR no apt-get; install redis-server by hand (the cluster tests need it)" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install_redis: ERROR not root and no sudo; cannot install redis-server" >&2
    exit 1
  fi
fi
echo "install_redis: installing redis-server with apt-get"
if $SUDO apt-get update -qq &&
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server
then
  # The package may also start a system Redis on 6379; the tests never use it.
  echo "install_redis: installed $(redis-server --version 2>/dev/null || echo redis-server)"
else
  echo "install_redis: ERROR apt-get failed; the cluster tests will fail" >&2
  exit 1
fi
exit 0
