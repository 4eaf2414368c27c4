#!/bin/sh
# Builds ztask in the source tree (configure once, make always).
set -e
cd "$(dirname "$0")/.."
sh scripts/deps.sh
[ -x configure ] || ./autogen.sh >/dev/null 2>&1
[ -f Makefile ] || ./configure --enable-werror ${ZTASK_CONFIGURE_FLAGS:-} >/dev/null
make -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
