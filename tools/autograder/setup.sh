#!/bin/sh
# Gradescope runs this once, as root, on its Ubuntu 22.04 image, when the
# autograder is built: it installs what grading needs.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends gcc libc6-dev make python3 pkg-config libcriterion-dev valgrind
# The tests need Criterion 2.3 or newer (they skip with cr_skip_test, new in
# 2.3; tools/engine/course.py CRITERION_MIN): a wrong image fails here, when
# it is built, not on the students' submissions.
have=$(pkg-config --modversion criterion) || {
    echo "setup.sh: error: pkg-config finds no Criterion: install libcriterion-dev 2.3 or newer" >&2
    exit 2
}
if ! printf '2.3\n%s\n' "$have" | sort -C -V; then
    echo "setup.sh: error: Criterion $have is too old: the tests need 2.3 or newer (cr_skip_test); install libcriterion-dev 2.3+" >&2
    exit 2
fi
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
# A broken image fails here too, not on the students: the stubs, graded as
# a submission, must compile, run and fail every test for their own reason.
cd /autograder/source
python3 -S tools/gradescope.py --smoke
