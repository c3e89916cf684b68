"""The dev container (.devcontainer/): valid against the dev container
spec's own JSON schema (shipped in tests/tools/fixtures/devcontainer, read
by a small validator), Debian 12 with every package `make deps` installs
plus clangd, and `make deps` then `make compdb` when it is created."""

import copy
import json
import os
import re
import sys
import unittest

from tests.tools.jsonschema_subset import SchemaError, validate
from tests.tools.minirepo import FIXTURES, ROOT

sys.path.insert(0, os.path.join(ROOT, "tools"))

from engine import course  # noqa: E402
from engine.instructor import release  # noqa: E402

HERE = os.path.join(ROOT, ".devcontainer")
SCHEMA = os.path.join(FIXTURES, "devcontainer", "devContainer.base.schema.json")


def deps_packages():
    """tools/deps.sh's package list (the learner's, not KATA_DEV's)."""
    with open(os.path.join(ROOT, "tools", "deps.sh")) as f:
        return re.search(r'^need="([^"$]+)"$', f.read(), re.M).group(1).split()


def dockerfile_packages(text):
    text = text.replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        if line.startswith("RUN") and "apt-get install" in line:
            words = line.split("apt-get install", 1)[1].split("&&")[0].split()
            found += [w for w in words if not w.startswith("-")]
    return found


class DevContainer(unittest.TestCase):
    def setUp(self):
        with open(os.path.join(HERE, "devcontainer.json")) as f:
            self.config = json.load(f)  # plain JSON: no comments, no trailing commas
        with open(SCHEMA) as f:
            self.schema = json.load(f)

    def test_valid_against_the_spec_schema(self):
        self.assertEqual(validate(self.config, self.schema)[0], [])

    def test_the_validator_refuses_what_the_spec_refuses(self):
        for change in ({"postCreateComand": "make deps"}, {"build": {"context": "."}},
                       {"remoteUser": 1000}, {"image": "debian:12"}, {"shutdownAction": "explode"},
                       {"forwardPorts": [70000]}):
            bad = copy.deepcopy(self.config)
            bad.update(change)
            self.assertNotEqual(validate(bad, self.schema)[0], [], change)
        with self.assertRaises(SchemaError):
            validate({}, {"type": "object", "dependentRequired": {}})

    def test_debian_12_with_what_make_deps_installs_and_clangd(self):
        with open(os.path.join(HERE, self.config["build"]["dockerfile"])) as f:
            text = f.read()
        self.assertRegex(text, r"(?m)^FROM debian:(12|bookworm)(-slim)?$")
        packages = dockerfile_packages(text)
        missing = [p for p in deps_packages() if p not in packages]
        self.assertEqual(missing, [], "the Dockerfile lacks what tools/deps.sh installs")
        self.assertIn("clangd", packages)
        self.assertIn("llvm-vs-code-extensions.vscode-clangd",
                      self.config["customizations"]["vscode"]["extensions"])

    def test_make_deps_then_make_compdb(self):
        steps = [s.strip() for s in self.config["postCreateCommand"].split("&&")]
        self.assertEqual(steps, ["make deps", "make compdb"])

    def test_learners_get_it_in_the_release(self):
        files = release.tree_files(course.load())
        self.assertIn(os.path.join(".devcontainer", "devcontainer.json"), files)
        self.assertIn(os.path.join(".devcontainer", "Dockerfile"), files)


if __name__ == "__main__":
    unittest.main()
