#!/bin/sh
# The license header convention: every .c and .h file under src/, include/,
# plugins/, tests/ and bench/ starts with MPL-2.0's Exhibit A notice, as
# these three lines:
#
#   /* This Source Code Form is subject to the terms of the Mozilla Public
#    * License, v. 2.0. If a copy of the MPL was not distributed with this
#    * file, You can obtain one at http://mozilla.org/MPL/2.0/. */
#
# followed by the file's own opening comment. (LICENSE holds the full text.)
#
#   scripts/license-headers.sh           adds the header where it is missing
#   scripts/license-headers.sh --check   lists the files without it; exit 1
#                                        if there is any (CI runs this)
#   ... [--check] FILE...                the same for the files named
#
# Adding is idempotent: a file that starts with the header is left as it
# is. Run it again after adding or merging new files.
set -eu
cd "$(dirname "$0")/.."
check=false
if [ "${1:-}" = --check ]; then
    check=true
    shift
fi

header='/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */'

# The files: those named, else every .c and .h under the five directories
# (build output directories left out).
list=$(mktemp "${TMPDIR:-/tmp}/ztask-license.XXXXXX")
trap 'rm -f "$list" "$list.new"' EXIT
if [ $# -gt 0 ]; then
    printf '%s\n' "$@" > "$list"
else
    find src include plugins tests bench \( -name .libs -o -name .deps -o -name .git \) -prune \
        -o -type f \( -name '*.c' -o -name '*.h' \) -print 2>/dev/null | LC_ALL=C sort > "$list"
fi

missing=0
checked=0
while IFS= read -r file; do
    [ -f "$file" ] || { echo "license-headers: $file: no such file" >&2; exit 2; }
    checked=$((checked + 1))
    if [ "$(head -n 3 "$file")" = "$header" ]; then
        continue
    fi
    if $check; then
        echo "$file"
        missing=$((missing + 1))
        continue
    fi
    # The header, a blank line, then the file as it was; mode kept.
    { printf '%s\n\n' "$header"; cat "$file"; } > "$list.new"
    cat "$list.new" > "$file"
    echo "license-headers: added to $file"
done < "$list"

if $check; then
    if [ "$missing" -gt 0 ]; then
        echo "license-headers: $missing of $checked files lack the MPL-2.0 header: run scripts/license-headers.sh" >&2
        exit 1
    fi
    echo "license-headers: all $checked files carry the MPL-2.0 header"
fi
