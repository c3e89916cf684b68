#!/bin/sh
# The katas on other Debian releases: builds a root of each release with
# mmdebstrap from Debian's archive, copies a clone of this repository (its
# committed HEAD) into it, and runs there, as root in a chroot, what the
# README tells a newcomer (`make deps`, `make test EX=01`) and then
# `make deps KATA_DEV=1` and `make check`. One line per release at the end.
#
#   sh tools/distro-check.sh [-k] [-a ARCH] [-w DIR] [RELEASE...]
#
#   RELEASE   Debian code names (default: bullseye trixie)
#   -a ARCH   the roots' architecture (default: the machine's); another one
#             (arm64 on x86-64) needs qemu-user-static and binfmt-support
#   -w DIR    where the roots are built and kept (default /var/tmp/kata-distros);
#             an existing root is reused, its clone replaced
#   -k        keep going after `make test EX=01` even when `make deps` failed
#   KATA_DISTRO_CHECK="make check EX=03"  what runs instead of `make check`
#
# Needs root and mmdebstrap (apt-get install mmdebstrap). Not part of
# `make check`: each release takes minutes to build and a full check to run.
# Each release runs in a mount and PID namespace of its own (unshare): its
# /proc, /dev and /sys vanish with it and no process outlives it.
set -eu

arch=""
work=/var/tmp/kata-distros
keep_going=0
while getopts ka:w: opt; do
    case $opt in
        k) keep_going=1 ;;
        a) arch=$OPTARG ;;
        w) work=$OPTARG ;;
        *) echo "usage: sh tools/distro-check.sh [-k] [-a ARCH] [-w DIR] [RELEASE...]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- bullseye trixie

if [ "$(id -u)" != 0 ]; then
    echo "distro-check: error: needs root (chroot, mounts)" >&2
    exit 2
fi
for tool in mmdebstrap unshare chroot git; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "distro-check: error: $tool is missing: apt-get install mmdebstrap util-linux coreutils git" >&2
        exit 2
    fi
done
top=$(git rev-parse --show-toplevel 2>/dev/null) || {
    echo "distro-check: error: run it inside a clone of the repository" >&2
    exit 2
}
check_cmd=${KATA_DISTRO_CHECK:-make check}
mkdir -p "$work"
summary="$work/summary.txt"
: >"$summary"

# One release: the root (built once), a fresh clone, the commands.
one() {
    rel=$1
    name=$rel${arch:+-$arch}
    root=$work/$name
    log=$work/$name.log
    start=$(date +%s)
    if [ ! -x "$root/bin/sh" ]; then
        rm -rf "$root"
        if ! nice mmdebstrap --variant=minbase --include=make,ca-certificates,git \
            ${arch:+--arch="$arch"} "$rel" "$root" http://deb.debian.org/debian >"$log.build" 2>&1; then
            echo "$name: the root did not build (mmdebstrap failed, see $log.build)" >>"$summary"
            return 0
        fi
    fi
    : >"$log"
    rm -rf "$root/root/kata"
    git clone -q --no-local "$top" "$root/root/kata"
    # The commands, in order; each one's status in the log, the first failing one named.
    cat >"$root/root/distro-steps.sh" <<EOF
set -u
cd /root/kata
step() {
    echo "=== \$* (\$(date -u +%H:%M:%S))"
    "\$@"
    rc=\$?
    echo "=== status \$rc: \$*"
    return \$rc
}
failed=""
step make deps || failed="make deps"
if [ -z "\$failed" ] || [ $keep_going = 1 ]; then
    # The stub fails its tests by design: the run must report them all.
    step make test EX=01 >/tmp/ex01.out 2>&1
    cat /tmp/ex01.out
    grep -Eq '^0 of [0-9]+ tests pass' /tmp/ex01.out || failed="\${failed:-make test EX=01}"
fi
if [ -z "\$failed" ] || [ $keep_going = 1 ]; then
    step make deps KATA_DEV=1 || failed="\${failed:-make deps KATA_DEV=1}"
    step nice $check_cmd || failed="\${failed:-$check_cmd}"
fi
printf '=== versions: gcc %s, Criterion %s, valgrind %s, clang-format %s\\n' \\
    "\$(gcc -dumpfullversion 2>/dev/null || echo -)" \\
    "\$(pkg-config --modversion criterion 2>/dev/null || echo -)" \\
    "\$(valgrind --version 2>/dev/null | sed s/valgrind-//)" \\
    "\$(clang-format --version 2>/dev/null | sed 's/.*version \\([0-9.]*\\).*/\\1/')"
echo "=== failed: \${failed:-none}"
EOF
    # pivot_root, not a bare chroot: the kernel refuses new user namespaces
    # to a chrooted process, and bubblewrap (the grading sandbox) needs them.
    mkdir -p "$root/.old-root"
    # shellcheck disable=SC2016 # expanded by the inner shell
    unshare --mount --pid --fork --propagation private sh -c '
        r=$1
        mount --bind "$r" "$r"
        mount -t proc proc "$r/proc"
        mount --rbind /dev "$r/dev"
        mount --rbind /sys "$r/sys"
        mount -t tmpfs tmpfs "$r/tmp"
        cp /etc/resolv.conf "$r/etc/resolv.conf"
        cd "$r" && pivot_root . .old-root && umount -l /.old-root || exit 97
        env="PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LANG=C.UTF-8"
        exec /usr/bin/env -i $env /bin/sh /root/distro-steps.sh' sh "$root" >>"$log" 2>&1 || true
    took=$(($(date +%s) - start))
    failed=$(sed -n 's/^=== failed: //p' "$log" | tail -n 1)
    last=$(grep -E '^check: [0-9]+ passed' "$log" | tail -n 1 || true)
    versions=$(sed -n 's/^=== versions: //p' "$log" | tail -n 1)
    if [ "$failed" = none ]; then
        echo "$name: green in ${took} s ($versions; ${last:-no check line})" >>"$summary"
    else
        echo "$name: '${failed:-the chroot}' failed after ${took} s ($versions; ${last:-no check line}; see $log)" >>"$summary"
    fi
}

for rel in "$@"; do
    one "$rel"
    tail -n 1 "$summary"
done
echo "--- distro-check"
cat "$summary"
! grep -qv ': green in ' "$summary"
