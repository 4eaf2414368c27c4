#!/bin/bash
# CI's packaging stage, after the test suite (.ci/run calls it):
#   1. license headers: scripts/license-headers.sh --check;
#   2. make distcheck (with -Werror): the tarball alone builds out of tree,
#      passes make check, installs and uninstalls cleanly;
#   3. the Debian packages, from that tarball and debian/:
#      dpkg-buildpackage -us -uc -b, then lintian (an error fails, warnings
#      are listed);
#   4. the packages installed: files in place, systemd-analyze verify on
#      the installed units, the demo against the installed binaries and
#      example plugins (scripts/demo.sh --installed), and a plugin and a
#      client built out of tree with pkg-config ztask, run through the
#      installed ztaskd and ztask-worker; then every package is purged, and
#      the user and directories the packages made are removed.
# Needs a configured tree (scripts/test.sh makes one). Steps 3 and 4 need
# root on Debian: they install their tools with apt-get (debhelper, lintian,
# fakeroot, the build dependencies); elsewhere they are skipped, which
# under CI ($CI = true) is a failure. The test suite runs once, in
# distcheck (DISTCHECK_TESTS="tests/a.sh ..." runs only those there); the
# package build skips it (nocheck) unless PKG_CHECK=1.
# Ends with "N passed, N failed" over the steps.
set -u
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
passed=0
failed=0
count () {    # count NAME PASSED FAILED
    echo "packaging: $1: $2 passed, $3 failed"
    passed=$((passed + $2)); failed=$((failed + $3))
}
step_start=0
step () { step_start=$(date +%s); echo "packaging: -- $*"; }
took () { echo "packaging:    ($(( $(date +%s) - step_start )) s)"; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ztask-packaging.XXXXXX")
packages="ztask ztaskd ztask-worker libztask0 libztask-dev"
pids=""
cleanup () {
    for pid in $pids; do kill -TERM "$pid" 2>/dev/null; done
    for pid in $pids; do wait "$pid" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
started=$(date +%s)

# ---- 1. license headers ----
step "license headers"
if sh scripts/license-headers.sh --check > "$tmp/license.out" 2>&1; then
    count "license headers" 1 0
else
    sed 's/^/packaging: license: /' "$tmp/license.out" | tail -20
    count "license headers" 0 1
fi

# ---- 2. make distcheck ----
step "make distcheck"
[ -f Makefile ] || { ./autogen.sh >/dev/null 2>&1 && ./configure >/dev/null; }
version=$(sed -n 's/^PACKAGE_VERSION = //p' Makefile)
tarball="ztask-$version.tar.gz"
# DISTCHECK_TESTS: the tests distcheck runs, when not all of them.
if make -j2 distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror ${DISTCHECK_TESTS:+TESTS="$DISTCHECK_TESTS"} \
    > "$tmp/distcheck.out" 2>&1; then
    grep 'archives ready' "$tmp/distcheck.out" | sed 's/^/packaging: /'
    count "make distcheck" 1 0
else
    grep -h '^\(FAIL\|ERROR\):' "ztask-$version"/_build/sub/test-suite.log 2>/dev/null | sed 's/^/packaging: distcheck: /'
    grep -v '^\(PASS:\|ok \|  \(CC\|CCLD\|GEN\) \)' "$tmp/distcheck.out" | tail -30 | sed 's/^/packaging: distcheck: /'
    count "make distcheck" 0 1
    # Go on with a plain tarball, to learn what the packages say.
    chmod -R u+w "ztask-$version" 2>/dev/null; rm -rf "ztask-$version"
    make dist >/dev/null 2>&1 || echo "packaging: make dist failed too"
fi
[ -f "$tarball" ] && mv "$tarball" "$tmp/"
took
# Every file in git is in the tarball, but for what only the repository
# needs (debian/ belongs to the packaging, not the upstream tarball).
if [ -f "$tmp/$tarball" ] && git rev-parse --git-dir >/dev/null 2>&1; then
    left=$(comm -23 <(git ls-files | grep -v '^debian/\|^\.gitignore$' | LC_ALL=C sort) \
                    <(tar -tzf "$tmp/$tarball" | sed "s|^ztask-$version/||" | LC_ALL=C sort))
    if [ -z "$left" ]; then
        count "every file in git is in $tarball" 1 0
    else
        echo "$left" | sed 's/^/packaging: not in the tarball (add it to EXTRA_DIST): /'
        count "every file in git is in $tarball" 0 1
    fi
fi

# ---- 3. the Debian packages ----
can_deb=""
[ "$(id -u)" -eq 0 ] || can_deb="not root"
command -v apt-get >/dev/null && command -v dpkg >/dev/null || can_deb="not Debian (no apt-get, dpkg)"
[ -f "$tmp/$tarball" ] || can_deb="no tarball"
if [ -n "$can_deb" ]; then
    echo "packaging: Debian packages skipped: $can_deb"
    if [ "${CI:-}" = true ]; then count "Debian packages ($can_deb)" 0 1; fi
    echo "packaging: took $(( $(date +%s) - started )) s"
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]; exit
fi

step "tools and build dependencies (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || echo "packaging: apt-get update failed; trying with the lists at hand"
build="$tmp/deb"
src="$build/ztask-$version"
mkdir -p "$build"
tar -xzf "$tmp/$tarball" -C "$build"
cp "$tmp/$tarball" "$build/ztask_$version.orig.tar.gz"
cp -a debian "$src/"
if apt-get install -y -qq --no-install-recommends debhelper lintian fakeroot dpkg-dev >"$tmp/apt.out" 2>&1 \
    && apt-get build-dep -y -qq "$src" >>"$tmp/apt.out" 2>&1; then
    took
else
    tail -20 "$tmp/apt.out" | sed 's/^/packaging: apt: /'
fi

step "dpkg-buildpackage -us -uc -b"
checks=nocheck
[ "${PKG_CHECK:-0}" = 1 ] && checks=""
if (cd "$src" && DEB_BUILD_OPTIONS="$checks" dpkg-buildpackage -us -uc -b -j2) > "$tmp/build.out" 2>&1; then
    echo "packaging: built" $(cd "$build" && ls ./*.deb)
    debs=""
    missing=""
    for p in $packages; do
        deb=$(cd "$build" && ls "./${p}_"*.deb 2>/dev/null)
        if [ -n "$deb" ]; then debs="$debs $deb"; else missing="$missing $p"; fi
    done
    if [ -z "$missing" ]; then
        count "dpkg-buildpackage" 1 0
    else
        echo "packaging: no package for$missing"
        count "dpkg-buildpackage" 0 1
    fi
else
    tail -40 "$tmp/build.out" | sed 's/^/packaging: build: /'
    count "dpkg-buildpackage" 0 1
    debs=""
fi
took

if [ -n "$debs" ]; then
    step "lintian"
    lintian --fail-on error --display-info "$build"/*.changes > "$tmp/lintian.out" 2>&1
    rc=$?
    for tag in E W I P; do
        n=$(grep -c "^$tag: " "$tmp/lintian.out")
        echo "packaging: lintian: $n $( case $tag in E) echo errors;; W) echo warnings;; I) echo info;; P) echo pedantic;; esac)"
    done
    grep '^[EW]: ' "$tmp/lintian.out" | sed 's/^/packaging: lintian: /'
    if [ "$rc" -eq 0 ]; then count "lintian (no errors)" 1 0; else count "lintian (no errors)" 0 1; fi
    took
fi

# ---- 4. installed ----
if [ -n "$debs" ]; then
    step "installing the packages"
    before=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $packages 2>/dev/null | grep -v '^un ')
    if [ -n "$before" ]; then
        echo "packaging: these are installed already; not touching them (purge them first):"
        echo "$before" | sed 's/^/packaging:   /'
        count "install, demo, out-of-tree plugin" 0 1
        debs=""
    fi
fi
if [ -n "$debs" ]; then
    had_user=false; getent passwd ztask >/dev/null && had_user=true
    had_group=false; getent group ztask >/dev/null && had_group=true
    had_state=""; for d in /var/lib/ztask /var/lib/ztask-worker; do [ -e "$d" ] && had_state="$had_state $d"; done
    p=0; f=0
    check () {    # check DESCRIPTION: counts the exit status of the last command
        if [ "$1" -eq 0 ]; then p=$((p + 1)); else f=$((f + 1)); echo "packaging: FAILED: $2"; fi
    }
    (cd "$build" && apt-get install -y -qq $debs) > "$tmp/install.out" 2>&1
    rc=$?
    [ "$rc" -eq 0 ] || tail -20 "$tmp/install.out" | sed 's/^/packaging: install: /'
    check "$rc" "apt-get install the packages"
    took
    # The packaged binaries, not any under /usr/local.
    export PATH=/usr/bin:/bin:/usr/sbin:/sbin
    triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
    missing=""
    for file in /usr/bin/ztaskd /usr/bin/ztask-worker /usr/bin/ztask /etc/ztask/broker.cfg \
        /etc/ztask/worker-general.cfg /etc/ztask/worker-urgent.cfg /lib/systemd/system/ztaskd.service \
        /lib/systemd/system/ztask-worker@.service /usr/lib/sysusers.d/ztask.conf \
        "/usr/lib/$triplet/ztask/echo.so" "/usr/lib/$triplet/ztask/sleep.so" \
        "/usr/lib/$triplet/ztask/wordcount.so" /usr/include/ztask/plugin.h /usr/include/ztask/client.h \
        "/usr/lib/$triplet/pkgconfig/ztask.pc" "/usr/lib/$triplet/libztask.so"; do
        [ -e "$file" ] || missing="$missing $file"
    done
    for page in ztask.1 ztask-plugin.3 ztask.conf.5 ztaskd.8 ztask-worker.8; do
        man -w "${page##*.}" "${page%.*}" >/dev/null 2>&1 || missing="$missing man:$page"
    done
    [ -z "$missing" ]
    check $? "installed files, missing:$missing"
    getent passwd ztask >/dev/null
    check $? "the user ztask exists (systemd-sysusers ran)"
    if command -v systemd-analyze >/dev/null; then
        out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify /lib/systemd/system/ztaskd.service \
              /lib/systemd/system/ztask-worker@.service 2>&1)
        rc=$?
        [ -n "$out" ] && echo "$out" | sed 's/^/packaging: verify: /'
        [ "$rc" -eq 0 ] && [ -z "$out" ]
        check $? "systemd-analyze verify on the installed units"
    fi
    # Where systemd runs, the package started ztaskd.service: the demo
    # needs its port.
    if [ -d /run/systemd/system ] && systemctl is-active -q ztaskd 2>/dev/null; then
        echo "packaging: ztaskd.service runs (started by the package); stopping it for the demo"
        systemctl stop ztaskd
    fi

    step "the demo against the installed ztask"
    ./scripts/demo.sh --installed > "$tmp/demo.out" 2>&1
    rc=$?
    done_rows=$(grep -c '^  [0-9][0-9]* .* done ' "$tmp/demo.out")
    if [ "$rc" -ne 0 ] || [ "$done_rows" -ne 9 ]; then
        tail -30 "$tmp/demo.out" | sed 's/^/packaging: demo: /'
        false
    fi
    check $? "scripts/demo.sh --installed: exit $rc, $done_rows of 9 tasks done"
    grep -q "Starting /usr/bin/ztaskd and two workers from /etc/ztask" "$tmp/demo.out"
    check $? "the demo ran /usr/bin/ztaskd with /etc/ztask's configs"
    took

    step "a plugin and a client built out of tree with pkg-config ztask"
    mkdir -p "$tmp/oot"
    cat > "$tmp/oot/reverse.c" <<'C'
/* An out-of-tree plugin: returns its payload reversed. */
#include <ztask/plugin.h>
#include <stdlib.h>

static int
s_run (ztask_ctx_t *ctx, void *state)
{
    (void) state;
    size_t size;
    const char *text = (const char *) ztask_payload (ctx, &size);
    char *reversed = (char *) malloc (size + 1);
    if (!reversed) {
        ztask_set_error (ctx, 1, "out of memory");
        return ZTASK_FAILED;
    }
    for (size_t i = 0; i < size; i++)
        reversed[i] = text[size - 1 - i];
    int rc = ztask_set_result (ctx, reversed, size);
    free (reversed);
    return rc == 0 ? ZTASK_OK : ZTASK_FAILED;
}

ZTASK_PLUGIN ("reverse", "1.0.0", "returns its payload reversed", NULL, s_run, NULL);
C
    cat > "$tmp/oot/client.c" <<'C'
/* An out-of-tree client: submits argv[2] to type argv[1], prints the result. */
#include <ztask/client.h>
#include <stdio.h>
#include <string.h>

int
main (int argc, char **argv)
{
    if (argc != 3)
        return 2;
    ztask_client_t *client = ztask_client_new (NULL); /* $ZTASK_BROKER */
    uint64_t id;
    ztask_task_t *task = NULL;
    int rc = ztask_client_submit_wait (client, argv[1], argv[2], strlen (argv[2]), NULL, -1, NULL, NULL,
                                       &id, &task);
    if (rc == 0 && task->state == ZTASK_STATE_DONE)
        printf ("%.*s\n", (int) task->result_size, (const char *) task->result);
    else
        fprintf (stderr, "client: %s\n", rc ? ztask_client_error (client) : task->error);
    rc = rc == 0 && task->state == ZTASK_STATE_DONE ? 0 : 1;
    ztask_task_destroy (&task);
    ztask_client_destroy (&client);
    return rc;
}
C
    (cd "$tmp/oot" \
        && cc -shared -fPIC -Wall -Wextra -Werror $(pkg-config --cflags ztask) -o reverse.so reverse.c \
        && cc -Wall -Wextra -Werror $(pkg-config --cflags ztask) -o client client.c $(pkg-config --libs ztask)) \
        > "$tmp/oot/build.out" 2>&1
    rc=$?
    [ "$rc" -eq 0 ] || sed 's/^/packaging: cc: /' "$tmp/oot/build.out"
    check "$rc" "cc with pkg-config ztask: the plugin and the client build"
    [ "$(pkg-config --modversion ztask)" = "$version" ] \
        && [ "$(pkg-config --variable=pkglibdir ztask)" = "/usr/lib/$triplet/ztask" ]
    check $? "pkg-config ztask: version $version, pkglibdir /usr/lib/$triplet/ztask"
    cat > "$tmp/oot/broker.cfg" <<CFG
endpoint = "tcp://127.0.0.1:![20000-32000]";
store = "$tmp/oot/ztask.db";
CFG
    /usr/bin/ztaskd -c "$tmp/oot/broker.cfg" -f > "$tmp/oot/broker.log" 2>&1 &
    pids="$pids $!"
    endpoint=""
    for i in $(seq 300); do
        endpoint=$(grep -o 'listening on tcp://[0-9.:]*' "$tmp/oot/broker.log" | sed 's/listening on //')
        [ -n "$endpoint" ] && break
        sleep 0.1
    done
    export ZTASK_BROKER="$endpoint"
    cat > "$tmp/oot/worker.cfg" <<CFG
broker = "$endpoint";
name = "out-of-tree";
plugins = ( { name = "reverse"; file = "reverse.so"; }, { name = "echo"; } );
CFG
    /usr/bin/ztask-worker -c "$tmp/oot/worker.cfg" -f > "$tmp/oot/worker.log" 2>&1 &
    pids="$pids $!"
    result=$(/usr/bin/ztask -t 30000 submit reverse -d "out of tree" --wait 2>&1)
    [ "$result" = "eert fo tuo" ]
    check $? "the installed ztask-worker runs the plugin: got '$result'"
    result=$(/usr/bin/ztask -t 30000 submit echo -d "installed echo" --wait 2>&1)
    [ "$result" = "installed echo" ]
    check $? "beside the installed echo plugin: got '$result'"
    result=$("$tmp/oot/client" reverse "libztask" 2>&1)
    [ "$result" = "ksatzbil" ]
    check $? "a client linked with pkg-config --libs ztask: got '$result'"
    if [ "$f" -ne 0 ]; then
        for log in broker worker; do tail -10 "$tmp/oot/$log.log" | sed "s/^/packaging: $log: /"; done
    fi
    for pid in $pids; do kill -TERM "$pid" 2>/dev/null; done
    for pid in $pids; do wait "$pid" 2>/dev/null; done
    pids=""
    took

    step "purging the packages"
    apt-get purge -y -qq $packages > "$tmp/purge.out" 2>&1
    check $? "apt-get purge"
    $had_user || ! getent passwd ztask >/dev/null || userdel ztask
    $had_group || ! getent group ztask >/dev/null || groupdel ztask
    for d in /var/lib/ztask /var/lib/ztask-worker; do
        case " $had_state " in *" $d "*) ;; *) rm -rf "$d" ;; esac
    done
    left=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $packages 2>/dev/null | grep -v '^un ')
    [ -z "$left" ] && [ ! -e /etc/ztask ] && [ ! -e /usr/bin/ztaskd ]
    check $? "nothing left: ${left:-no package}, /etc/ztask $([ -e /etc/ztask ] && echo stays || echo gone)"
    count "install, demo, out-of-tree plugin, purge" "$p" "$f"
    took
fi

echo "packaging: took $(( $(date +%s) - started )) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
