"""The learner's language, and the tools' most-read lines in English and
Chinese.

The rule is the test harness's (kata_zh() in tests/common/kata.c): KATA_LANG
decides when it is set (zh... is Chinese, anything else English); without it,
the first of LC_ALL, LC_MESSAGES and LANG that is set decides, Chinese when
it starts with zh (e.g. zh_CN.UTF-8)."""

import os


def zh(environ=None):
    env = os.environ if environ is None else environ
    lang = env.get("KATA_LANG", "")
    if lang:
        return lang.startswith("zh")
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        v = env.get(var, "")
        if v:  # the first one set decides, as in setlocale
            return v.startswith("zh")
    return False


def code(environ=None):
    """The value for KATA_LANG that passes the choice on to the tests."""
    return "zh" if zh(environ) else "en"


# key: (English, Chinese). Both take the same %-arguments in the same order.
MESSAGES = {
    # status
    "state.done": ("done", "完成"),
    "state.tests pass": ("tests pass", "测试通过"),
    "state.failing": ("failing", "未通过"),
    "state.no compile": ("no compile", "编译失败"),
    "state.not checked": ("not checked", "尚未检查"),
    "state.not started": ("not started", "未开始"),
    "status.next": ("Next: %s.", "下一步：%s。"),
    "status.all done": ("All exercises are done: tests pass and helgrind finds nothing.",
                        "全部练习已完成：测试全部通过，helgrind 也没有发现问题。"),
    "status.changed": ("changed since the last run", "上次运行后已修改"),
    "status.no compile": ("your code does not compile", "你的代码无法编译"),
    "status.n pass": ("%d/%d tests pass", "%d/%d 个测试通过"),
    "status.hg problems": ("helgrind found problems", "helgrind 发现了问题"),
    "status.hg not run": ("helgrind not run yet", "还没有运行 helgrind"),
    "step.start": ("read exercises/%s/README.md, edit %s, then run `make test EX=%s`",
                   "阅读 exercises/%s/README.zh-CN.md，编辑 %s，然后运行 `make test EX=%s`"),
    "step.test": ("`make test EX=%s`", "`make test EX=%s`"),
    "step.compile": ("`make test EX=%s` shows the compiler's first error",
                     "`make test EX=%s` 会显示编译器报的第一个错误"),
    "step.fix": ("`make test EX=%s` and fix %s; stuck? `make hint EX=%s`",
                 "运行 `make test EX=%s`，修好 %s；卡住了？`make hint EX=%s`"),
    "step.helgrind": ("`make helgrind EX=%s` to prove it free of races",
                      "`make helgrind EX=%s`，证明没有数据竞争"),
    # test
    "test.all pass": ("All %d tests pass.", "全部 %d 个测试通过。"),
    "test.next": (" Next: %s.", "下一步：%s。"),
    "test.then": (", then ", "，然后 "),
    "test.next ex": ("`make test EX=%02d` (%s)", "`make test EX=%02d`（%s）"),
    "test.no compile": ("Your code does not compile: fix the first error above, then run "
                        "`make test EX=%s` again.",
                        "你的代码无法编译：先修好上面的第一个错误，再运行 `make test EX=%s`。"),
    "test.n pass": ("%d of %d tests pass. Next: fix the first FAIL in %s, then run "
                    "`make test EX=%s` again; stuck? `make hint EX=%s`",
                    "%d/%d 个测试通过。下一步：修好 %s 里第一个 FAIL，再运行 `make test EX=%s`；"
                    "卡住了？`make hint EX=%s`"),
    "test.more": ("... and %d more failing tests: `make test EX=%02d`",
                  "……还有 %d 个测试未通过：`make test EX=%02d`"),
    "test.same": ("(the same as above)", "（同上）"),
    # hints
    "hint.title": ("%s, hint %d of %d: %s", "%s，提示 %d/%d：%s"),
    "hint.more": ("Still stuck? `make hint EX=%02d` again shows the next hint.",
                  "还是卡住？再运行一次 `make hint EX=%02d` 看下一条提示。"),
    "hint.last": ("That was the last hint. `make hint EX=%02d N=1` shows the first again.",
                  "这是最后一条提示。`make hint EX=%02d N=1` 可以重新看第一条。"),
    # watch
    "watch.watching": ("Watching %s: save to run the tests again. Ctrl-C stops.",
                       "正在监视 %s：保存即重新运行测试。按 Ctrl-C 退出。"),
    "watch.running": ("%s: running the tests ...", "%s：正在运行测试……"),
    "watch.n pass": ("%d of %d tests pass. Fix the first FAIL in %s and save; stuck? "
                     "`make hint EX=%02d`",
                     "%d/%d 个测试通过。修好 %s 里第一个 FAIL 后保存即可；卡住了？`make hint EX=%02d`"),
    "watch.green": ("%s passes: all %d tests.", "%s 通过了：全部 %d 个测试。"),
    "watch.hg todo": ("Still to do for it: `make helgrind EX=%02d` (helgrind has not passed "
                      "this code yet).",
                      "它还差一步：`make helgrind EX=%02d`（helgrind 还没有检查过这份代码）。"),
    "watch.hg ok": ("helgrind already passed this code.", "helgrind 已经检查过这份代码，没有问题。"),
    "watch.moving on": ("Moving on to %s %s.", "进入下一个练习：%s %s。"),
    "watch.all green": ("Every exercise's tests pass. Left to do: %s",
                        "所有练习的测试都通过了。还剩：%s"),
    "watch.all done": ("Every exercise's tests pass.", "所有练习的测试都通过了。"),
    "watch.mode": ("(change detection: %s)", "（变化检测方式：%s）"),
    "watch.stopped": ("watch stopped.", "已停止监视。"),
    # reset
    "reset.saved": ("Your %s is kept as %s", "你的 %s 已备份为 %s"),
    "reset.restored": ("%s is the stub again (from %s).", "%s 已恢复为初始代码（来源：%s）。"),
    "reset.same": ("%s is already the stub: nothing to reset.", "%s 已经是初始代码，无需重置。"),
    "reset.hints": ("Hints for %s start again from the first.", "%s 的提示将从第一条重新开始。"),
    # compare
    "compare.refused solutions": ("compare: this copy of the course has no reference solutions "
                                  "(solutions/%s is missing), so there is nothing to compare with",
                                  "compare：这份课程里没有参考答案（缺少 solutions/%s），无从对比"),
    "compare.refused failing": ("compare: %s does not pass yet (%s): make `make test EX=%02d` "
                                "pass first, then compare",
                                "compare：%s 还没有通过（%s）：先让 `make test EX=%02d` 全部通过，"
                                "再来对比"),
    "compare.checking": ("%s changed since its last test run: running the tests first ...",
                         "%s 自上次测试后有改动：先运行测试……"),
    "compare.header": ("%s passes. Your code (-) beside the reference solution (+):",
                       "%s 已通过。你的代码（-）和参考答案（+）的差异："),
    "compare.same": ("%s: identical to the reference solution.", "%s：与参考答案完全相同。"),
    "compare.why": ("Why the reference is written this way (its comments):",
                    "参考答案为什么这样写（摘自其中的注释）："),
}


def t(key, *args, environ=None):
    en, cn = MESSAGES[key]
    text = cn if zh(environ) else en
    return text % args if args else text
