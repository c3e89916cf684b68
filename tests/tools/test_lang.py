"""The engine's own sentences in English and Chinese: lang.MESSAGES, the
verdicts of tools/engine/report.py, the helgrind summary, the exercise titles.

English must stay exactly what it was (other tests and learners' habits
rely on it); Chinese must really be Chinese, not English passed through."""

import configparser
import os
import re
import shutil
import signal
import sys
import tempfile
import unittest

from tests.tools import zh_text
from tests.tools.minirepo import ROOT, make, make_repo

sys.path.insert(0, os.path.join(ROOT, "tools"))

from engine import course, helgrind_summary, lang, procs, report  # noqa: E402
from engine.learner import status  # noqa: E402
import textwrap  # noqa: E402
from engine import ui  # noqa: E402
import unicodedata  # noqa: E402

ZH = {"KATA_LANG": "zh"}
EN = {"KATA_LANG": "en"}
HELGRIND = os.path.join(ROOT, "tests", "tools", "fixtures", "helgrind")
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")  # CJK characters and punctuation
# a printf conversion: flags, width, precision, length, then the kind
CONVERSION = re.compile(r"%(?:\(\w+\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])")
FIELD = re.compile(r"\{(\w*)\}")


def english(extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("KATA_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}
    env.update(extra or {})
    return env


def chinese(text):
    return bool(CJK.search(text))


class Messages(unittest.TestCase):
    def test_english_and_chinese_take_the_same_arguments_in_the_same_order(self):
        for key, (en, zh) in lang.MESSAGES.items():
            self.assertEqual(CONVERSION.findall(en), CONVERSION.findall(zh), key)
            # {name} fields (str.format, after the %-arguments): by name, in any order
            self.assertEqual(sorted(FIELD.findall(en)), sorted(FIELD.findall(zh)), key)

    def test_every_chinese_sentence_is_chinese_unless_it_is_only_code(self):
        for key, (en, zh) in lang.MESSAGES.items():
            words = re.sub(r"`[^`]*`|%\S|\{\w*\}", "", en)
            if re.search(r"[A-Za-z]{3,}", words):
                self.assertTrue(chinese(zh), "%s: %r" % (key, zh))

    def test_the_checker_sees_a_mismatch(self):
        self.assertNotEqual(CONVERSION.findall("%d of %s"), CONVERSION.findall("%s 的 %d"))
        self.assertNotEqual(CONVERSION.findall("%g s"), CONVERSION.findall("%d 秒"))


class Wrapping(unittest.TestCase):
    """Chinese has no spaces: lines break between characters, by columns."""

    TEXT = ("dl_transfer(account 0 -> account 1, 30) 返回了 38（ENOSYS：还只是桩代码），而不是 DL_OK："
            "账户里的钱足够，钱应该转过去，结果应该是 DL_OK；余额永远不能小于零，所以这次转账什么都不能改。")

    @staticmethod
    def columns(line):
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)

    def test_chinese_lines_fit_the_width_and_lose_no_character(self):
        lines = ui.wrap(self.TEXT, "    ", width=50).splitlines()
        self.assertGreater(len(lines), 3)
        for ln in lines:
            self.assertLessEqual(self.columns(ln), 50 + 2, ln)  # + one character held by punctuation
            self.assertTrue(ln.startswith("    "), ln)
            self.assertNotIn(ln.strip()[0], "，。：；）", ln)
        self.assertEqual("".join(ln.strip() for ln in lines).replace(" ", ""), self.TEXT.replace(" ", ""))

    def test_a_chinese_paragraph_over_several_lines_gets_no_spaces_between_characters(self):
        self.assertEqual(ui.wrap("第一行的内容\n第二行的内容 and English\nmore", "  ", reflow=True),
                         "  第一行的内容第二行的内容 and English more")

    def test_english_wraps_as_before(self):
        text = "plain English text " * 12
        self.assertEqual(ui.wrap(text, "  ", width=40),
                         "\n".join(textwrap.wrap(text, 40, initial_indent="  ", subsequent_indent="  ")))


class Titles(unittest.TestCase):
    def test_every_section_of_the_course_has_a_chinese_title(self):
        parser = configparser.ConfigParser(inline_comment_prefixes=(";",))
        parser.read(os.path.join(ROOT, "exercises", "exercises.ini"), encoding="utf-8")
        self.assertTrue(parser.sections())
        for name in parser.sections():
            zh = parser[name].get("title_zh", "")
            self.assertTrue(chinese(zh), "[%s] needs title_zh = <the title in Chinese>" % name)
            self.assertNotEqual(zh, parser[name]["title"], name)

    def test_the_title_follows_the_language_and_falls_back_to_english(self):
        for ex in course.load():
            self.assertEqual(ex.shown_title(False), ex.title)
            self.assertEqual(ex.shown_title(True), ex.title_zh)
        plain = course.Exercise("09-x", "Title", [], 10, 30, 3, 60)
        self.assertEqual(plain.shown_title(True), "Title")

    def test_a_chinese_title_changes_no_recorded_verdict(self):
        ex = course.load()[0]
        before = status.content_hash(ex)
        ex.title_zh = ex.title_zh + "（改）"
        self.assertEqual(status.content_hash(ex), before)


class Verdicts(unittest.TestCase):
    """report.verdicts in both languages: English exactly as it always was."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.xml = os.path.join(self.dir, "r.xml")
        with open(self.xml, "w") as f:
            f.write('<testsuites><testsuite name="s">'
                    '<testcase name="crash" status="FAILED"><error type="crash"/></testcase>'
                    '<testcase name="skip" status="SKIPPED"/>'
                    '<testcase name="exit" status="PASSED"/>'
                    '</testsuite></testsuites>')
        with open(os.path.join(self.dir, "s::crash.crash"), "w") as f:
            f.write("%d" % signal.SIGSEGV)
        open(os.path.join(self.dir, "s::fork.forked"), "w").close()
        self.tests = ["s::crash", "s::skip", "s::exit", "s::fork", "s::missing"]

    def tearDown(self):
        shutil.rmtree(self.dir)

    def run_in(self, environ, **kw):
        outcome = procs.Outcome(returncode=kw.get("rc", 1), timed_out=kw.get("timed_out", False),
                                leftovers=kw.get("leftovers", {}))
        return report.verdicts(self.tests, self.xml, self.dir, outcome, 5, environ=environ)

    def test_english_is_unchanged(self):
        rep = self.run_in(EN, leftovers={42: ("Z", "child")})
        self.assertEqual([r.message for r in rep.results], [
            "the test crashed: a segmentation fault: a bad pointer (NULL, freed, or out of bounds)",
            "skipped: what this test checks cannot happen on this machine (its source says why, "
            "e.g. parallelism needs a second CPU)",
            "the test's process ended before the test did: your code called exit() (or _exit) in "
            "the process that runs the test; only a forked child should end itself",
            "a child process forked by your code returned into the test instead of ending: after "
            "fork() the child must call _exit() when its work is done",
            "this test never reported: the test program stopped before it ran (a crash or exit in "
            "code outside the tests?)"])
        self.assertEqual(rep.problem, "processes were left behind after the tests ended: 42 (child, "
                                      "exited but never reaped). Every process you start must end "
                                      "and be reaped.")
        os.remove(self.xml)
        self.assertEqual(self.run_in(EN, timed_out=True).problem,
                         "the test program was stopped after 5 s and never reported its results "
                         "(code that hangs, perhaps before main or in a constructor)")
        self.assertEqual(self.run_in(EN, rc=-signal.SIGABRT).problem,
                         "the test program was killed before it reported its results: abort(): a "
                         "failed assert() or a corrupted heap")

    def test_a_skip_gives_the_tests_own_reason(self):
        with open(os.path.join(self.dir, "s::skip.skip"), "w") as f:
            f.write("parallelism needs a second CPU")
        rep = self.run_in(EN)
        skip = rep.results[1]
        self.assertEqual(skip.message, "skipped: parallelism needs a second CPU")
        self.assertTrue(skip.passed and report.was_skipped(skip))
        with open(os.path.join(self.dir, "s::skip.skip"), "w") as f:
            f.write("并行至少需要两个 CPU")
        self.assertEqual(self.run_in(ZH).results[1].message, "已跳过：并行至少需要两个 CPU")

    def test_chinese_verdicts(self):
        rep = self.run_in(ZH, leftovers={42: ("Z", "child")})
        crash, skip, exited, fork, missing = [r.message for r in rep.results]
        self.assertIn("段错误", crash)
        for message in (crash, skip, exited, fork, missing, rep.problem):
            self.assertTrue(chinese(message), message)
            self.assertNotRegex(message, r"[a-z]{3,} [a-z]{3,} [a-z]{3,}", "English words left in it")
        self.assertTrue(rep.results[1].passed and report.was_skipped(rep.results[1]))
        self.assertTrue(report.was_skipped({"passed": True, "message": skip}))  # results.json
        os.remove(self.xml)
        timeout = self.run_in(ZH, timed_out=True).problem
        self.assertTrue(chinese(timeout) and "5 秒" in timeout, timeout)
        killed = self.run_in(ZH, rc=-signal.SIGKILL).problem
        self.assertTrue(chinese(killed) and "SIGKILL" in killed, killed)

    def test_the_language_comes_from_the_environment_by_default(self):
        os.remove(self.xml)
        old = {k: os.environ.get(k) for k in ("KATA_LANG",)}
        try:
            os.environ["KATA_LANG"] = "zh"
            self.assertTrue(chinese(self.run_in(None, rc=0).problem))
            os.environ["KATA_LANG"] = "en"
            self.assertFalse(chinese(self.run_in(None, rc=0).problem))
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


class HelgrindSummary(unittest.TestCase):
    def summarize(self, names, student, environ):
        logs = []
        for n in names:
            with open(os.path.join(HELGRIND, n)) as f:
                logs.append(f.read())
        return helgrind_summary.summarize(logs, [student], environ=environ)

    def test_race_in_chinese_keeps_the_facts(self):
        s = self.summarize(["race_global.log"], "exercises/03-race/counter.c", ZH)
        self.assertFalse(s.ok)
        self.assertTrue(s.text.startswith("helgrind 在你的代码里发现了 1 个问题：\n1. 数据竞争"), s.text)
        for fact in ("`counter`", "counter.c:10", "worker", "#2 和 #3", "counter.c:18", "2 次"):
            self.assertIn(fact, s.text)
        self.assertNotIn("Data race", s.text)
        self.assertNotRegex(s.text, r"[a-z]{3,} [a-z]{3,} [a-z]{3,}", "English words left in it")

    def test_race_in_english_is_unchanged_and_the_choice_does_not_stick(self):
        zh = self.summarize(["race_global.log"], "exercises/03-race/counter.c", ZH)
        en = self.summarize(["race_global.log"], "exercises/03-race/counter.c", EN)
        self.assertEqual(en.text.splitlines()[:2], [
            "helgrind found 1 problem in your code:",
            "1. Data race on `counter` (global variable): thread #3 reads it at counter.c:10 (in worker) "
            "while thread #2 writes it at counter.c:10 (in worker), with no lock held by either. Two "
            "threads touch the same memory and at least one writes, with nothing ordering them: order "
            "them (e.g. read a thread's results only after pthread_join), or protect every access with "
            "the same mutex, or make it atomic."])
        self.assertEqual(en.text.splitlines()[2:], ["   threads: #2 and #3, started at counter.c:18 "
                                                    "(run_counters)", "   helgrind reported this 2 times"])
        self.assertEqual([(e.kind, e.variable, e.student_lines, e.count) for e in zh.errors],
                         [(e.kind, e.variable, e.student_lines, e.count) for e in en.errors])

    def test_every_kind_of_finding_and_reason_in_chinese(self):
        cases = [(["lock_order.log"], "exercises/04-deadlock/bank.c", "加锁顺序"),
                 (["misuse.log"], "exercises/04-deadlock/locks.c", "解锁"),
                 (["condvar_dubious.log"], "exercises/02-join/signal.c", "条件变量"),
                 (["killed.log"], "exercises/04-deadlock/bank.c", "ERROR SUMMARY"),
                 (["race_heap.log"], "exercises/03-race/account.c", "堆内存"),
                 (["race_stack.log"], "exercises/02-join/join.c", "局部变量"),
                 (["fork.1.log", "fork.2.log"], "exercises/01-isolation/isolation.c", "子进程"),
                 (["outside_student.log"], "exercises/03-race/counter.c", "没有计入"),
                 (["clean.1.log", "clean.2.log"], "exercises/03-race/counter.c", "没有发现"),
                 (["stack_switch.log"], "exercises/05-coroutine/coro.c", "协程栈")]
        for names, student, word in cases:
            text = self.summarize(names, student, ZH).text
            self.assertIn(word, text, names)
            english_words = re.sub(r"\([^()]*\)|`[^`]*`|\"[^\"]*\"|error code.*", "", text)
            self.assertNotRegex(english_words, r"[a-z]{3,} [a-z]{3,} [a-z]{3,}", text)
        self.assertIn("没有找到 helgrind 日志", helgrind_summary.summarize([], ["x.c"], environ=ZH).text)


class PolicyWords(unittest.TestCase):
    """The object policy's findings and the review list follow the language."""

    CODE = ('#include "answer.c"\n__attribute__((constructor)) static void a(void) {}\n'
            'extern void kata_end(void) __attribute__((weak));\n'
            'int system(const char *);\n'
            'int f(void) { __asm__ volatile("syscall"); if (kata_end) kata_end(); '
            'return system("x"); }\n')
    REVIEWED = ('int f(void) { char *h = getenv("HOME"); const char *p = "/proc/self/fd/5";\n'
                '    dup2(1, 5); close(2); write(7, "x", 1); signal(2, 0); return h && p; }\n')

    def setUp(self):
        self.d = tempfile.mkdtemp(prefix="kata-lang-policy-")

    def tearDown(self):
        shutil.rmtree(self.d)

    def sentences(self, env):
        import subprocess
        from unittest import mock
        from engine import policy
        src, obj = os.path.join(self.d, "x.c"), os.path.join(self.d, "x.o")
        with open(os.path.join(self.d, "answer.c"), "w") as f:
            f.write("int answer(void) { return 42; }\n")
        with open(src, "w") as f:
            f.write(self.CODE)
        subprocess.run([course.CC, "-c", "-MD", "-MF", obj + ".d", src, "-o", obj], check=True,
                       stderr=subprocess.DEVNULL)
        with open(obj + ".d") as f:
            deps = f.read()
        with open(os.path.join(self.d, "r.c"), "w") as f:
            f.write(self.REVIEWED)
        with mock.patch.dict(os.environ, english(env), clear=True):
            found = policy.judge_object(obj, ["fork"], depfile_text=deps, source=src,
                                        forbidden_prefixes=policy.HARNESS_PREFIXES)
            return ([x.sentence for x in found], policy.review([os.path.join(self.d, "r.c")]),
                    policy.check_includes([src]))

    def test_every_finding_in_chinese(self):
        found, reviewed, include = self.sentences(ZH)
        self.assertGreaterEqual(len(found), 6, found)
        self.assertEqual(len(reviewed), 6, reviewed)
        for text in found + reviewed + [include]:
            self.assertTrue(chinese(text), text)
            self.assertNotRegex(re.sub(r"`[^`]*`|\([^()]*\)|（[^（）]*）", "", text),
                                r"[a-z]{3,} [a-z]{3,}", text)
        self.assertIn("你的代码里有一条 `syscall` 指令", "\n".join(found))

    def test_english_is_unchanged(self):
        found, reviewed, include = self.sentences(EN)
        self.assertIn("your code contains a `syscall` instruction: graded code makes system calls "
                      "through the C library", found)
        self.assertIn("your code uses `system`, which this exercise does not need (its calls: fork)",
                      found)
        self.assertIn("r.c: an unusual descriptor number (write(7, ...))", reviewed)
        self.assertIn('r.c: a /proc path in a string ("/proc/self/fd/5")', reviewed)
        self.assertTrue(include.endswith('includes "answer.c": graded code may include the exercise\'s '
                                         'headers and system headers by name ("x.h", <sys/x.h>), '
                                         'nothing else'), include)


class ThroughMake(unittest.TestCase):
    """What a learner types: the title and the verdict of a crash in Chinese."""

    @classmethod
    def setUpClass(cls):
        cls.repo = make_repo()
        ini = os.path.join(cls.repo, "exercises", "exercises.ini")
        with open(ini, encoding="utf-8") as f:
            text = f.read()
        with open(ini, "w", encoding="utf-8") as f:
            f.write(text.replace("title = Sum with two threads\n",
                                 "title = Sum with two threads\ntitle_zh = 两个线程求和\n"))
        with open(os.path.join(cls.repo, "exercises", "01-fixture", "work.c"), "w") as f:
            f.write('#include "work.h"\n\nlong work_sum(int n)\n{\n'
                    '    return n > 100 ? *(volatile long *)0 : 0;\n}\n')

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.repo, ignore_errors=True)

    def test_status_shows_the_title_in_the_learners_language(self):
        out = make(self.repo, "status", env=english({"LANG": "zh_CN.UTF-8"}))[1]
        self.assertIn("两个线程求和", out)
        out = make(self.repo, "status", env=english())[1]
        self.assertIn("Sum with two threads", out)
        self.assertNotIn("两个线程求和", out)

    def test_a_crash_is_told_in_chinese(self):
        rc, out, _ = make(self.repo, "test", "EX=01", env=english(ZH))
        self.assertNotEqual(rc, 0)
        self.assertIn("01-fixture 两个线程求和", out)
        self.assertIn("测试崩溃了：段错误", out)
        rc, out, _ = make(self.repo, "test", "EX=01", env=english(EN))
        self.assertIn("01-fixture Sum with two threads", out)
        self.assertIn("the test crashed: a segmentation fault: a bad pointer (NULL, freed, or out of "
                      "bounds)", out)


class ChineseText(unittest.TestCase):
    """Every Chinese text of the repository follows CONTRIBUTING.md's rules
    (tests/tools/zh_text.py): the glossary's word, no space between Chinese
    characters, full-width punctuation, no stray English."""

    def test_every_chinese_text_follows_the_house_rules(self):
        found = zh_text.findings(zh_text.all_texts(), zh_text.glossary(), zh_text.allowed_words())
        self.assertEqual(found, [], "\n%s%d findings (python3 -S -m tests.tools.zh_text lists them; the rules: "
                         "CONTRIBUTING.md, Chinese: one word per idea)" % (zh_text.report(found), len(found)))

    def test_the_scan_reaches_every_place_chinese_lives(self):
        texts = zh_text.all_texts()
        places = {t.path.split("/")[0] for t in texts}
        self.assertEqual(places, {"tools", "exercises", "tests", "README.zh-CN.md", "README.md"})
        self.assertEqual(len(zh_text.messages_texts()), len(lang.MESSAGES))
        self.assertEqual(len(zh_text.ini_texts()), len(course.load()))
        paths = {t.path for t in texts}
        for path in ("tests/common/kata.c", "exercises/03-race/HINTS.zh-CN.md", "exercises/exercises.ini"):
            self.assertIn(path, paths)
        self.assertGreater(len(zh_text.glossary()), 20)
        self.assertIn("helgrind", zh_text.allowed_words())
        self.assertIn("pthread_join", zh_text.allowed_words())  # a name of the C code

    def test_c_literals_are_joined_as_the_compiler_joins_them(self):
        source = 'x = KATA_TR("en",\n    "子进程 "\n    /* c */ "那一支\\"引号\\"");\ny = "二";\n'
        (en, _), (zh, starts), (two, _) = zh_text.c_literals(source)
        self.assertEqual((en, zh, two), ("en", '子进程 那一支"引号"', "二"))
        self.assertEqual(starts, [(0, 2), (4, 3)])

    def test_planted_breaks_of_every_rule_are_caught_with_file_and_line(self):
        planted = {
            "a.md": "第一行没有问题，`fork` 之后。\n先拿 账户 0\n",
            "b.md": "注意:这里\n还只是桩代码\n这里的 bug 多半\n线程1结束\n",
            "c.md": "他说\"你好\"。\n",
            "d.md": "```\n先拿 账户 0\n```\n| 中文 | English words here |\n",
        }
        texts = []
        for path, body in planted.items():
            for n, line in enumerate(body.splitlines(), 1):
                texts.append(zh_text.Text(path, n, zh_text._chinese_cells(line)))
        texts = [t for t in texts if not (t.path == "d.md" and t.line <= 3)]  # a code block is left out
        found = zh_text.findings(texts, zh_text.glossary(), zh_text.allowed_words())
        rules = {(where, rule.split(":")[0].split(" is ")[0].split(" '")[0]) for where, rule, _ in found}
        self.assertEqual(rules, {
            ("a.md:2", "a space between Chinese characters"),
            ("b.md:1", "half-width"),
            ("b.md:2", "stub (the code a learner starts from)"),
            ("b.md:3", "English word"),
            ("b.md:4", "no space between Chinese and Latin or digits"),
            ("c.md:1", "a Chinese quotation in half-width quotes"),
        })
        self.assertIn("注意:这里", [text for _, _, text in found])
        fixes = {rule.split(": ", 1)[1] for _, rule, _ in found}  # each rule says what to write instead
        for fix in ("remove it", "write '：' (full-width)", "write 仍然是桩代码, not 还只是桩代码",
                    "write '线程 1'", "write \u201c你好\u201d"):
            self.assertIn(fix, fixes)
        self.assertIn("b.md:1: half-width ':' beside Chinese: write '：' (full-width). In: 注意:这里\n",
                      zh_text.report(found))

    def test_the_whole_scan_catches_what_is_planted_in_a_copy(self):
        root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, root)
        for rel in ("CONTRIBUTING.md", "README.md", "README.zh-CN.md", "exercises/exercises.ini", "tools/engine/lang.py"):
            os.makedirs(os.path.join(root, os.path.dirname(rel)), exist_ok=True)
            shutil.copy(os.path.join(ROOT, rel), os.path.join(root, rel))
        os.makedirs(os.path.join(root, "tests", "09-x"))
        with open(os.path.join(root, "tests", "09-x", "test.c"), "w", encoding="utf-8") as f:
            f.write('cr_assert(0, KATA_MSG("the child must _exit",\n'
                    '                      "所以子进程 "\n'
                    '                      "那一支必须 _exit()(否则)"));\n')
        # the engine's fixtures are hostile code, not course text: neither they nor a link is read
        os.makedirs(os.path.join(root, "tests", "tools", "fixtures"))
        with open(os.path.join(root, "tests", "tools", "fixtures", "attack.c"), "w", encoding="utf-8") as f:
            f.write('puts("先拿 账户 0");\n')
        os.symlink(os.path.join(root, "nowhere"), os.path.join(root, "tests", "09-x", "link.c"))
        with open(os.path.join(root, "tools", "engine", "lang.py"), "a", encoding="utf-8") as f:
            f.write('\nMESSAGES["x.planted"] = ("x", "y")\n')  # not in the table: not scanned
        with open(os.path.join(root, "exercises", "exercises.ini"), "a", encoding="utf-8") as f:
            f.write("\n[09-x]\ntitle = X\ntitle_zh = 数据竞争与竞争条件\n")
        with open(os.path.join(root, "README.md"), "a", encoding="utf-8") as f:
            f.write("\n| race condition | 竞争条件 | a result that depends on the interleaving |\n")
        with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
            readme_line = len(f.readlines())
        # the names of the C code come from the real course: the copy has none
        found = zh_text.findings(zh_text.all_texts(root), zh_text.glossary(root), zh_text.allowed_words())
        wheres = sorted({where for where, _, _ in found})
        with open(os.path.join(root, "exercises", "exercises.ini"), encoding="utf-8") as f:
            ini_line = len(f.readlines())
        self.assertEqual(wheres, ["README.md:%d" % readme_line, "exercises/exercises.ini:%d" % ini_line,
                                  "tests/09-x/test.c:2", "tests/09-x/test.c:3"], found)


if __name__ == "__main__":
    unittest.main()
