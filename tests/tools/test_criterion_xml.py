"""The report parser reads Criterion's XML as every version from 2.3 to 2.4.3
writes it (src/io/xml.c of each): 2.3's unescaped messages, 2.4.0/2.4.1's
first line in CDATA and later lines bare, 2.4.2's single CDATA with "&#10;"
for its newlines. Each fixture holds the same tests, messages with "<", "&"
and "]]>" among them; a run whose report nothing can be read from falls back
to the harness's markers and never blames the learner's exit(); a run
stopped before any report keeps what the watchdog of each test wrote.

    python3 -S -m unittest tests.tools.test_criterion_xml
"""

import os
import re
import shutil
import sys
import tempfile
import unittest

from tests.tools.minirepo import ROOT

sys.path.insert(0, os.path.join(ROOT, "tools"))

from engine import lang, procs, report  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "criterion-xml")
VERSIONS = ("2.3.3", "2.4.1", "2.4.2")  # 2.4.0 writes as 2.4.1, 2.4.3 as 2.4.2
EXPECTED = {
    "quirks::passes": ("PASSED", "", ""),
    "quirks::lt_first": ("FAILED", "returned -1 < 0: fork & reap first", ""),
    "quirks::lt_later": ("FAILED", "first line\nsecond <line> & more", ""),
    "quirks::cdata_end": ("FAILED", "a ]]> b", ""),
    "quirks::two_asserts": ("FAILED", "one\ntwo\nthree", ""),
    "quirks::crashed": ("ERRORED", "", "crash"),
    "quirks::skipped": ("SKIPPED", "", ""),
}
ENDED_WITHOUT_REPORT = [lang.MESSAGES["report.exit n"][0].split("(")[0],
                        lang.MESSAGES["report.exit 0"][0].split(":")[0]]


def fixture(version):
    with open(os.path.join(FIXTURES, version + ".xml"), "rb") as f:
        return f.read()


def english():
    return {k: v for k, v in os.environ.items() if k not in ("KATA_LANG", "LC_ALL", "LANG")}


class EveryVersion(unittest.TestCase):
    def test_each_version_reads_the_same(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                self.assertEqual(report.parse_xml(fixture(version)), EXPECTED)

    def test_well_formed_2_4_2_turns_its_escaped_newlines_back(self):
        # without the "]]>" test, 2.4.2's report is well-formed XML, read by
        # ElementTree, and "&#10;" stays literal inside its CDATA
        data = re.sub(rb'    <testcase name="cdata_end".*?</testcase>\n', b"", fixture("2.4.2"),
                      flags=re.S)
        want = {k: v for k, v in EXPECTED.items() if k != "quirks::cdata_end"}
        self.assertEqual(report.parse_xml(data), want)

    def test_the_broken_forms_are_broken_xml(self):
        # the fixtures do break a strict parser: the fallback is what reads them
        for version in VERSIONS:
            with self.subTest(version=version), self.assertRaises(report.ET.ParseError):
                report.ET.fromstring(fixture(version))

    def test_a_stubs_messages_with_lt_are_its_own_failures(self):
        expected = list(EXPECTED)
        marks = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, marks)
        with open(os.path.join(marks, "quirks::passes.done"), "w") as f:
            f.write("done\n")
        for version in VERSIONS:
            with self.subTest(version=version):
                rep = report.verdicts(expected, fixture(version), marks,
                                      procs.Outcome(returncode=1), 5, environ=english())
                self.assertEqual(rep.problem, "")
                got = {r.test: r for r in rep.results}
                self.assertTrue(got["quirks::passes"].passed)
                self.assertEqual(got["quirks::lt_first"].message, EXPECTED["quirks::lt_first"][1])
                self.assertFalse(got["quirks::lt_later"].passed)
                self.assertTrue(got["quirks::skipped"].skipped)
                said = " ".join(r.message for r in rep.results)
                for words in ENDED_WITHOUT_REPORT:
                    self.assertNotIn(words, said)


class Unreadable(unittest.TestCase):
    """A report written but in no form any Criterion writes: the markers say
    what they know, the rest is the machine's report, never the learner's exit."""

    def test_falls_back_to_the_markers(self):
        marks = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, marks)
        with open(os.path.join(marks, "quirks::lt_first.timeout"), "w") as f:
            f.write("timed out after 2 s: the test did not finish\n")
        with open(os.path.join(marks, "quirks::passes.done"), "w") as f:
            f.write("done\n")
        rep = report.verdicts(["quirks::passes", "quirks::lt_first"], b"<testsuites><oops",
                              marks, procs.Outcome(returncode=1), 5, environ=english())
        got = {r.test: r for r in rep.results}
        self.assertEqual(got["quirks::lt_first"].message,
                         "timed out after 2 s: the test did not finish")
        self.assertFalse(got["quirks::passes"].passed)  # a marker alone proves no pass
        unreadable = lang.MESSAGES["report.unreadable"][0]
        self.assertEqual(got["quirks::passes"].message, unreadable)
        self.assertEqual(rep.problem, unreadable)
        for words in ENDED_WITHOUT_REPORT:
            self.assertNotIn(words, rep.problem)

    def test_a_crash_is_still_a_crash(self):
        rep = report.verdicts(["quirks::passes"], b"<testsuites><oops", tempfile.gettempdir(),
                              procs.Outcome(returncode=-11), 5, environ=english())
        self.assertEqual(rep.failure, report.Outcome.CRASH)



class Stopped(unittest.TestCase):
    """A run stopped before Criterion wrote any report: a test its own
    watchdog ended keeps the harness's words on where it was stuck."""

    def test_the_watchdogs_words_survive_the_stop(self):
        marks = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, marks)
        with open(os.path.join(marks, "quirks::lt_first.timeout"), "w") as f:
            f.write("timed out after 3 s: spinning in a loop that never ends\n")
        # no file (a run folder's report.xml), or nothing through the sandbox's pipe
        for xml in (os.path.join(marks, "none.xml"), b""):
            self.check_stopped(report.verdicts(["quirks::lt_first", "quirks::passes"], xml, marks,
                                               procs.Outcome(returncode=-9, timed_out=True), 6,
                                               environ=english()))
        # no test reached its watchdog: the stop is all there is to say (code before main?)
        rep = report.verdicts(["quirks::passes"], b"", tempfile.gettempdir(),
                              procs.Outcome(returncode=-9, timed_out=True), 6, environ=english())
        self.assertEqual(rep.results[0].message, lang.t("report.timed out", 6, environ=english()))

    def check_stopped(self, rep):
        got = {r.test: r for r in rep.results}
        self.assertEqual(got["quirks::lt_first"].message,
                         "timed out after 3 s: spinning in a loop that never ends")
        self.assertEqual(got["quirks::passes"].message,
                         lang.t("report.stopped later", 6, environ=english()))
        self.assertEqual(rep.problem, lang.t("report.timed out", 6, environ=english()))
        self.assertEqual(rep.failure, report.Outcome.TIMEOUT)
        self.assertFalse(any(r.passed for r in rep.results))


if __name__ == "__main__":
    unittest.main()
