#!/bin/sh
# Installs ztask's Debian build (and test) dependencies when any is missing.
set -e
packages="build-essential autoconf automake libtool pkg-config libzmq3-dev libczmq-dev libconfig-dev libsqlite3-dev libjansson-dev libpq-dev libmicrohttpd-dev"
# The test suite also starts PostgreSQL servers of its own (the PostgreSQL store).
packages="$packages postgresql"
# Time zones of recurring schedules (src/common/ztask_cron.c reads /usr/share/zoneinfo).
packages="$packages tzdata"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "ztask: installing build dependencies:$missing"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
