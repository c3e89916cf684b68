#!/bin/sh
# Installs what the katas need and is missing. Debian and Ubuntu only;
# elsewhere it says what to install and fails.
set -eu

need="gcc make python3 pkg-config libcriterion-dev valgrind bubblewrap"
# The oldest Criterion the tests build with: they skip with cr_skip_test(),
# new in 2.3.0 (as is criterion.pc); keep in step with tools/engine/course.py.
criterion_min=2.3
if [ "${KATA_DEV:-}" = 1 ]; then
    need="$need shellcheck patch clang-format"
fi

if [ "$(uname -s)" != Linux ]; then
    echo "kata: error: unsupported OS '$(uname -s)': the katas need Linux" >&2
    exit 2
fi
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
    echo "kata: error: no apt-get here: install $need with your package manager" >&2
    exit 2
fi

# Stops with one line when the installed Criterion is older than the engine needs.
check_criterion() {
    have=$(pkg-config --modversion criterion 2>/dev/null) || {
        echo "kata: error: pkg-config finds no Criterion (criterion.pc): install libcriterion-dev $criterion_min or newer" >&2
        exit 2
    }
    if ! printf '%s\n%s\n' "$criterion_min" "$have" | sort -C -V; then
        echo "kata: error: Criterion $have is too old: the tests need $criterion_min or newer (they skip with cr_skip_test, new in 2.3); install libcriterion-dev $criterion_min+ (Debian 11 or newer, Ubuntu 22.04 or newer)" >&2
        exit 2
    fi
}

missing=""
for pkg in $need; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $pkg"
    fi
done
if [ -z "$missing" ]; then
    check_criterion
    echo "kata: all dependencies are installed ($need)"
    exit 0
fi

sudo=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
    else
        echo "kata: error: need root to install:$missing (no sudo found)" >&2
        exit 2
    fi
fi
echo "kata: installing:$missing"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086 # the package list is meant to split
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
check_criterion
