#!/bin/sh
# Gradescope runs this once, as root, on its Ubuntu 22.04 image, when the
# autograder is built: it installs what grading needs.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends gcc libc6-dev make python3 libcriterion-dev valgrind
# Submitted code runs as an unprivileged user, who must reach the programs
# built under source/build (and only read everything else).
chmod o+rx /autograder /autograder/source
chmod -R o+rX,go-w /autograder/source
