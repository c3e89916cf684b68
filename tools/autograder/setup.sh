#!/bin/sh
# Gradescope runs this once, as root, on its Ubuntu 22.04 image, when the
# autograder is built: it installs what grading needs.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends gcc libc6-dev make python3 libcriterion-dev valgrind
# Submitted code runs as an unprivileged user, who must reach the programs
# built under source/build and read the tests' support files, but never
# read the hidden tests (they are compiled by root).
chmod o+rx /autograder /autograder/source
chmod -R o+rX,go-w /autograder/source
for d in /autograder/source/tests/*/hidden; do
    if [ -d "$d" ]; then
        chmod -R go-rwx "$d"
    fi
done
