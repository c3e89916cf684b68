"""The learner's language, and the tools' most-read lines in English and
Chinese.

The rule is the test harness's (kata_zh() in tests/common/stuck.c): KATA_LANG
decides when it is set (zh... is Chinese, anything else English); without it,
the first of LC_ALL, LC_MESSAGES and LANG that is set decides, Chinese when
it starts with zh (e.g. zh_CN.UTF-8).

Why so long: MESSAGES is a table, every sentence the engine says with its
Chinese beside it; the code is the three functions at the top and bottom."""

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
    "test.tests no build": ("The tests did not build (above), which is not your code's doing: once that is "
                            "fixed, run `make test EX=%s` again.",
                            "测试没有构建成功（见上），这不是你的代码造成的：等它修好后，再运行 `make test EX=%s`。"),
    "test.n pass": ("%d of %d tests pass. Next: fix the first FAIL in %s, then run "
                    "`make test EX=%s` again; stuck? `make hint EX=%s`",
                    "%d/%d 个测试通过。下一步：修好 %s 里第一个 FAIL，再运行 `make test EX=%s`；"
                    "卡住了？`make hint EX=%s`"),
    "test.more": ("... and %d more failing tests: `make test EX=%02d`",
                  "……还有 %d 个测试未通过：`make test EX=%02d`"),
    "test.same": ("(the same as above)", "（同上）"),
    "test.run failed": ("Every test passed, but the run failed: %s",
                        "每个测试都通过了，但这次运行本身失败了：%s"),
    "test.n of": ("%d of %d tests pass.", "%d/%d 个测试通过。"),
    "test.optional": ("for the curious (optional): %d/%d pass%s (they do not count: the exercise is done "
                      "without them)",
                      "选做（给好奇的你）：%d/%d 个通过%s（不计入结果：不做它们，练习也算完成）"),
    "test.optional skipped": (", %d skipped on this machine", "，%d 个在这台机器上跳过"),
    "test.exercises pass": ("%d of %d exercises pass.", "%d/%d 个练习通过。"),
    # exercise names
    "ex.unknown": ("unknown exercise '%s'; valid: %s", "没有练习“%s”；可用的有：%s"),
    "ex.did you mean": ("unknown exercise '%s'; did you mean %s? valid: %s",
                        "没有练习“%s”；你是不是想要 %s？可用的有：%s"),
    # T=
    "t.only test": ("T=%s: only `make test` runs one part or one test", "T=%s：只有 `make test` 能只运行一个部分或一个测试"),
    "t.needs ex": ("T=%s: say which exercise too, e.g. `make test EX=03 T=2`",
                   "T=%s：还要指明练习，例如 `make test EX=03 T=2`"),
    "t.unknown": ("T=%s: not a part of %s (parts: %s) nor one of its tests (suite::name, as "
                  "`make test EX=%02d` prints them)",
                  "T=%s：不是 %s 的部分（部分有：%s），也不是它的测试（写成 suite::name，"
                  "和 `make test EX=%02d` 打印的一样）"),
    "t.selected": ("(T=%s: only what it selects is shown; `make test EX=%02d` runs every test)",
                   "（T=%s：只显示它选中的测试；`make test EX=%02d` 运行全部测试）"),
    # hints
    "hint.title": ("%s, hint %d of %d: %s", "%s，提示 %d/%d：%s"),
    "hint.more": ("Still stuck? `make hint EX=%02d` again shows the next hint.",
                  "还是卡住？再运行一次 `make hint EX=%02d` 看下一条提示。"),
    "hint.more keys": ("Still stuck? Press h again for the next hint.",
                       "还是卡住？再按一次 h 看下一条提示。"),
    "hint.for part": ("Part %d fails first (%s): a hint for that part.",
                      "第 %d 部分最先失败（%s）：这是该部分的提示。"),
    "hint.all done": ("every exercise is done: say which one's hints to see, e.g. `make hint EX=01`",
                      "所有练习都已完成：请指明要看哪个练习的提示，例如 `make hint EX=01`"),
    "hint.last": ("That was the last hint. `make hint EX=%02d N=1` shows the first again.",
                  "这是最后一条提示。`make hint EX=%02d N=1` 可以重新看第一条。"),
    # watch
    "watch.watching": ("Watching %s %s: save to run the tests again.",
                       "正在监视 %s%s，保存即重新运行测试。"),
    "watch.no compile": ("Your code does not compile: fix the first error above and save.",
                         "你的代码无法编译：修好上面的第一个错误后保存即可。"),
    "watch.ctrl-c": ("Ctrl-C stops.", "按 Ctrl-C 退出。"),
    "watch.running": ("%s: running the tests ...", "%s：正在运行测试……"),
    "watch.n pass": ("%d of %d tests pass. Fix the first FAIL in %s and save; stuck? "
                     "`make hint EX=%02d`",
                     "%d/%d 个测试通过。修好 %s 里第一个 FAIL 后保存即可；卡住了？`make hint EX=%02d`"),
    "watch.n pass keys": ("%d of %d tests pass. Fix the first FAIL in %s and save; stuck? press h",
                          "%d/%d 个测试通过。修好 %s 里第一个 FAIL 后保存即可；卡住了？按 h"),
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
    "watch.keys": ("Keys: h hint · r run again · n next exercise · q quit (or Ctrl-C)",
                   "按键：h 提示 · r 重新运行 · n 下一个练习 · q 退出（或 Ctrl-C）"),
    "watch.where": ("exercise %d of %d", "第 %d 个练习，共 %d 个"),
    "watch.progress": ("%d/%d done", "已完成 %d/%d"),
    "watch.first error": ("first error: %s", "第一个错误：%s"),
    "watch.cut": ("... %d more lines: `make test EX=%02d` shows them all",
                  "……还有 %d 行：`make test EX=%02d` 会全部显示"),
    "watch.press n": ("Press n for the next exercise, %s %s.", "按 n 进入下一个练习：%s %s。"),
    "watch.last": ("This is the last exercise.", "这是最后一个练习。"),
    # reset
    "reset.saved": ("Your %s is kept as %s", "你的 %s 已备份为 %s"),
    "reset.restored": ("%s is the stub again (from %s).", "%s 已恢复为桩代码（来源：%s）。"),
    "reset.same": ("%s is already the stub: nothing to reset.", "%s 已经是桩代码，无需重置。"),
    "reset.hints": ("Hints for %s start again from the first.", "%s 的提示将从第一条重新开始。"),
    # compare
    "compare.refused solutions": ("compare: this copy of the course has no reference solutions "
                                  "(solutions/%s is missing), so there is nothing to compare with",
                                  "`make compare`：这份课程里没有参考答案（缺少 solutions/%s），无从对比"),
    "compare.refused failing": ("compare: %s does not pass yet (%s): make `make test EX=%02d` "
                                "pass first, then compare",
                                "`make compare`：%s 还没有通过（%s）：先让 `make test EX=%02d` 全部通过，"
                                "再来对比"),
    "compare.checking": ("%s changed since its last test run: running the tests first ...",
                         "%s 自上次测试后有改动：先运行测试……"),
    "compare.header": ("%s passes. Your code (-) beside the reference solution (+):",
                       "%s 已通过。你的代码（-）和参考答案（+）的差异："),
    "compare.same": ("%s: identical to the reference solution.", "%s：与参考答案完全相同。"),
    "compare.why": ("Why the reference is written this way (its comments):",
                    "参考答案为什么这样写（摘自其中的注释）："),
    # verdicts on a run of the tests (tools/engine/report.py)
    "sig.SIGSEGV": ("a segmentation fault: a bad pointer (NULL, freed, or out of bounds)",
                    "段错误：用了一个坏指针（NULL、已经释放的内存，或者越界）"),
    "sig.SIGABRT": ("abort(): a failed assert() or a corrupted heap",
                    "abort()：某个 assert() 失败了，或者堆被破坏了"),
    "sig.SIGFPE": ("an arithmetic error, such as a division by zero", "算术错误，比如除以零"),
    "sig.SIGBUS": ("a bus error: a bad memory access", "总线错误：一次非法的内存访问"),
    "sig.SIGKILL": ("SIGKILL: killed from outside, e.g. for running too long",
                    "SIGKILL：被外部杀掉了，比如因为运行太久"),
    "sig.SIGPIPE": ("SIGPIPE: a write to a pipe whose read end was closed",
                    "SIGPIPE：往一个读端已经关闭的管道里写数据"),
    "sig.SIGXFSZ": ("SIGXFSZ: it wrote more output than allowed", "SIGXFSZ：写出的内容超过了允许的大小"),
    "sig.SIGILL": ("an illegal instruction (a corrupted stack or function pointer?)",
                   "非法指令（栈或函数指针被破坏了？）"),
    "sig.other": ("signal %d", "信号 %d"),
    "sig.some": ("a signal", "收到了一个信号"),
    "report.timed out": ("the test program was stopped after %g s and never reported its "
                         "results (code that hangs, perhaps before main or in a constructor)",
                         "测试程序运行了 %g 秒被叫停，始终没有报告结果（有代码卡住了，"
                         "也许是在 main 之前，或者在某个构造函数里）"),
    "report.stopped later": ("the test program was stopped after %g s, before this test reported: "
                             "other tests were stuck (each says where) and used up the run's time",
                             "测试程序运行了 %g 秒被叫停，这个测试还没报告结果：别的测试卡住了"
                             "（各自说明了卡在哪里），把整次运行的时间用完了"),
    "report.killed": ("the test program was killed before it reported its results: %s",
                      "测试程序还没报告结果就被杀掉了：%s"),
    "report.exit 0": ("the test program exited with status 0 without reporting its results: "
                      "something called exit() before the tests could run",
                      "测试程序以状态 0 退出，却没有报告结果：测试还没来得及运行，"
                      "就有代码调用了 exit()"),
    "report.exit n": ("the test program ended (status %s) without reporting its results: "
                      "something called exit() or crashed before the tests could run",
                      "测试程序结束了（状态 %s），却没有报告结果：测试还没来得及运行，"
                      "就有代码调用了 exit() 或者崩溃了"),
    "report.leftover": ("%d (%s%s)", "%d（%s%s）"),
    "report.zombie": (", exited but never reaped", "，已经退出却没有被回收"),
    "report.list sep": (", ", "，"),
    "report.leftovers": ("processes were left behind after the tests ended: %s. "
                         "Every process you start must end and be reaped.",
                         "测试结束后还留下了进程：%s。你启动的每个进程都必须结束，并且被回收（wait/waitpid）。"),
    "report.forked": ("a child process forked by your code returned into the test instead of "
                      "ending: after fork() the child must call _exit() when its work is done",
                      "你的代码 fork 出的子进程没有结束，反而回到了测试代码里：fork() 之后，"
                      "子进程做完自己的事就必须调用 _exit()"),
    "report.never reported": ("this test never reported: the test program stopped before it "
                              "ran (a crash or exit in code outside the tests?)",
                              "这个测试始终没有报告结果：测试程序在运行它之前就停了"
                              "（测试以外的代码崩溃了，或者调用了 exit？）"),
    "report.skipped because": ("skipped: %s", "已跳过：%s"),
    "report.skipped": ("skipped: what this test checks cannot happen on this machine "
                       "(its source says why, e.g. parallelism needs a second CPU)",
                       "已跳过：这个测试要检查的情况在这台机器上不可能出现"
                       "（源代码里写了原因，例如并行至少要有两个 CPU）"),
    "report.exit in test": ("the test's process ended before the test did: your code called "
                            "exit() (or _exit) in the process that runs the test; only a forked "
                            "child should end itself",
                            "测试还没做完，运行它的进程就先结束了：你的代码在运行测试的进程里"
                            "调用了 exit()（或 _exit）；只有 fork 出来的子进程才应该自己结束"),
    "report.crashed": ("the test crashed: %s", "测试崩溃了：%s"),
    "where.in": (", at %s in %s()", "，在 %s 的 %s() 里"),
    "where.at": (", at %s", "，在 %s"),
    "hg.stuck": ("The scenario hung under helgrind and was ended:",
                 "场景在 helgrind 下卡住了，已被终止："),
    "report.out of time": ("the test ran out of time (Criterion's limit)",
                           "测试超时了（Criterion 的时间限制）"),
    "report.unreadable": ("the run ended, but Criterion's report of it cannot be read (its XML is "
                          "broken: this machine's Criterion, not your code); no test of it can count "
                          "as passed",
                          "运行结束了，但 Criterion 的报告无法读取（它的 XML 已损坏：这是本机 Criterion "
                          "的问题，不是你的代码的问题）；这次运行的测试都不能算作通过"),
    "report.failed": ("the test failed", "测试未通过"),
    # make grade (tools/engine/instructor/points.py)
    "grade.hg test": ("%s helgrind: no data race or lock-order error in your code",
                      "%s helgrind：你的代码里没有数据竞争或加锁顺序错误"),
    "grade.hg not run": ("not run: the helgrind check counts once every test of %s passes (a "
                         "proof that code which does not work yet is free of races proves nothing)",
                         "没有运行：%s 的测试全部通过后，helgrind 检查才计分（还不能正确工作的代码"
                         "没有数据竞争，这证明不了什么）"),
    "grade.hidden": (" (hidden)", "（隐藏测试）"),
    "grade.more failing": ("... and %d more failing in %s (all of them: the results file)",
                           "……还有 %d 个未通过的测试在 %s 中（全部见结果文件）"),
    # Gradescope's grading within its budget (tools/engine/instructor/gradescope.py)
    "gs.stopped": ("the grading of %s was stopped after %d s, its share of the autograder's time: "
                   "something in it hangs or runs far too long (a lock never released, a child "
                   "never reaped, an endless loop)",
                   "%s 的评分在 %d 秒后被停止了，这是它在自动评分总时间里的份额：其中有东西卡住了"
                   "或者运行得太久（锁一直没有释放、子进程一直没有回收、死循环）"),
    "gs.not reached": ("not graded: the autograder's time ran out before %s",
                       "没有评分：还没轮到 %s，自动评分的时间就用完了"),
    "gs.failed": ("the grading of %s failed (status %s): please tell your instructor",
                  "%s 的评分出错了（状态 %s）：请告诉你的老师"),
    "grade.run failed": ("%s\n(the whole run failed: %s)", "%s\n（整次运行失败了：%s）"),
    # a run that ended before its tests reported (tools/engine/run.py)
    "run.code no compile": ("your code does not compile:", "你的代码无法编译："),
    "grade.review": ("review", "待查看"),
    "run.code refused": ("your code was refused before any test ran:", "你的代码在运行任何测试之前就被拒绝了："),
    "run.tests no compile": ("the tests do not compile:", "测试代码无法编译："),
    "run.machine no build": ("the tests do not build on this machine (its C library or Criterion lacks "
                             "what they need; not your code): run `make deps`, or see the README's "
                             "Supported platforms for the versions needed:",
                             "测试在这台机器上无法构建（这台机器的 C 库或 Criterion 缺少测试需要的东西，"
                             "不是你的代码的问题）：运行 `make deps`，或查看英文 README 的“Supported platforms”一节，那里列出了所需的版本："),
    "run.did not compile": ("did not compile", "没有编译成功"),
    "run.no submission": ("no submission for this exercise: %s", "这个练习没有提交：%s"),
    "run.not submitted": ("not submitted", "未提交"),
    "run.not found": ("not submitted: %s not found in the submission", "未提交：提交里找不到 %s"),
    "run.ended": ("the run was ended: %s", "运行被终止了：%s"),
    "run.hg driver no compile": ("the helgrind driver does not compile:",
                                 "helgrind 驱动程序无法编译："),
    # the limits of a graded run (tools/engine/contain.py)
    "contain.processes": ("it started more than %d processes at once (a fork bomb?), the most a "
                          "run may have", "它同时启动了超过 %d 个进程（fork 炸弹？），这是一次运行允许的上限"),
    "contain.memory": ("its processes used more than %d MB of memory together, the most a run "
                       "may use", "它的进程一共用了超过 %d MB 内存，这是一次运行允许的上限"),
    "contain.written": ("it wrote more than %d MB or %d files in all, the most a run may write",
                        "它一共写了超过 %d MB 或 %d 个文件，这是一次运行允许写入的上限"),
    "contain.reachable": ("no sandbox here (no user namespaces), so graded code runs as a grading "
                          "user that could read %s like any other user: shut it to other users "
                          "first (chmod o-rwx %s) and grade again",
                          "这里没有沙箱（不能使用用户命名空间），被评分的代码以评分用户身份运行，"
                          "它能像其他用户一样读取 %s：请先禁止其他用户访问（chmod o-rwx %s），"
                          "然后重新评分"),
    # the object policy and the review list (tools/engine/policy.py)
    "policy.include by name": ("%s includes %s: graded code may include the exercise's headers and "
                               "system headers by name (\"x.h\", <sys/x.h>), nothing else",
                               "%s 包含了 %s：评分的代码只能按名字包含练习自带的头文件和系统头文件"
                               "（\"x.h\"、<sys/x.h>），别的都不行"),
    "policy.replaces": ("your code defines `%s`, a name the C library or the test harness already "
                        "uses: a global of that name replaces theirs in the whole program. Rename "
                        "it, or make it static.",
                        "你的代码定义了 `%s`，这个名字 C 库或测试框架已经在用了：同名的全局符号会在"
                        "整个程序里顶替掉它们的那个。请改个名字，或者把它声明为 static。"),
    "policy.harness": ("your code uses `%s`, which belongs to the test harness or the tests, or "
                       "looks symbols up by name: exercises never need it.",
                       "你的代码用到了 `%s`：它属于测试框架或测试代码，或者是按名字查找符号的函数，"
                       "练习从来用不到它。"),
    "policy.not elf": ("the compiler's output is not an ELF object", "编译器的输出不是 ELF 目标文件"),
    "policy.ctor": ("your code has a %s section: code that runs before or after the tests (a "
                    "constructor or destructor) is not allowed in graded code",
                    "你的代码里有 %s 节：在测试之前或之后运行的代码（构造函数或析构函数）"
                    "不允许出现在评分的代码里"),
    "policy.code outside text": ("your code puts machine code in section %s: graded code keeps its "
                                 "code in .text",
                                 "你的代码把机器码放进了 %s 节：评分的代码只能把代码放在 .text 里"),
    "policy.versioned": ("your code names `%s`, a versioned symbol: graded code calls library "
                         "functions by their plain names",
                         "你的代码用到了带版本号的符号 `%s`：评分的代码只能用普通的名字调用库函数"),
    "policy.ifunc": ("your code makes `%s` an indirect function (ifunc): its resolver would run "
                     "before the tests; use a plain function",
                     "你的代码把 `%s` 做成了间接函数（ifunc）：它的解析函数会在测试之前运行；"
                     "请改用普通函数"),
    "policy.weak": ("your code makes `%s` weak: graded code defines and calls functions plainly "
                    "(no __attribute__((weak)) or .weak)",
                    "你的代码把 `%s` 声明成了弱符号：评分的代码只能以普通方式定义和调用函数"
                    "（不用 __attribute__((weak)) 或 .weak）"),
    "policy.harness call": ("your code uses `%s`, which belongs to the test harness or looks "
                            "symbols up by name: exercises never need it",
                            "你的代码用到了 `%s`：它属于测试框架，或者是按名字查找符号的函数，"
                            "练习从来用不到它"),
    "policy.not needed": ("your code uses `%s`, which this exercise does not need (its calls: %s)",
                          "你的代码用到了 `%s`，这个练习用不到它（它需要的调用：%s）"),
    "policy.taken": ("your code defines `%s`, a name the C library or the test harness already "
                     "uses: rename it, or make it static",
                     "你的代码定义了 `%s`，这个名字 C 库或测试框架已经在用了：请改个名字，"
                     "或者把它声明为 static"),
    "policy.syscall": ("your code contains a `%s` instruction: graded code makes system calls "
                       "through the C library",
                       "你的代码里有一条 `%s` 指令：评分的代码只能通过 C 库进行系统调用"),
    "policy.include": ("your code includes %s: graded code may include the exercise's headers and "
                       "system headers, nothing else",
                       "你的代码包含了 %s：评分的代码只能包含练习自带的头文件和系统头文件，别的都不行"),
    # building graded code (tools/engine/build.py)
    "build.too big": ("your code makes the compiler or linker write a file bigger than %d MB (a huge "
                      ".fill, .rept or array in the object): graded code stays small",
                      "你的代码让编译器或链接器写出了超过 %d MB 的文件（目标文件里有巨大的 .fill、"
                      ".rept 或数组）：评分的代码应当很小"),
    "build.no program": ("the link made no program (%s)", "链接没有生成程序（%s）"),
    "build.link": ("%s is a symbolic link: a submission is read as plain files and folders only",
                   "%s 是一个符号链接：提交的内容只按普通文件和文件夹读取"),
    "build.source too big": ("%s is bigger than %d KB", "%s 超过了 %d KB"),
    "build.compile time": ("your code took more than %d s to compile (or waited for input): a source "
                           "file that makes the compiler work without end",
                           "你的代码编译了超过 %d 秒（或者在等待输入）：这个源文件让编译器没完没了地工作"),
    "build.link time": ("the link took too long", "链接花的时间太长了"),
    "build.compiler failed": ("the compiler failed (out of memory?)", "编译器失败了（内存不够？）"),
    "review.item": ("%s: %s (%s)", "%s：%s（%s）"),
    "review.proc": ("a /proc path in a string", "字符串里有 /proc 路径"),
    "review.environment": ("reads the environment", "读取环境变量"),
    "review.signals": ("signal or sigaction games", "用 signal、sigaction 等摆弄信号"),
    "review.dup": ("dup2/dup3 of a descriptor", "用 dup2/dup3 改动描述符"),
    "review.close std": ("closes a standard descriptor", "关闭了标准输入、输出或错误描述符"),
    "review.fd number": ("an unusual descriptor number", "直接写了不寻常的描述符编号"),
    "sandbox.guard gone": ("it ended the sandbox's guard, which counts the processes a run leaves "
                           "behind (kill(-1)?), so nothing says the run ended cleanly",
                           "它结束了沙箱里负责清点遗留进程的看守进程（kill(-1)？），"
                           "因此无法确认这次运行是否干净地结束"),
    # make helgrind (tools/engine/run.py, learner/views.py)
    "hg.ended": ("The helgrind run was ended: %s.", "helgrind 运行被终止了：%s。"),
    "hg.scenario failed graded": ("The scenario itself failed under helgrind (exit status %s).",
                                  "场景本身在 helgrind 下就失败了（退出状态 %s）。"),
    "hg.header": ("%s %s: helgrind check %s", "%s %s —— helgrind 检查 %s"),
    "hg.run stopped": ("The helgrind run was stopped after %g s: the scenario hangs (a deadlock?).",
                       "helgrind 运行了 %g 秒被叫停：场景卡住了（死锁？）。"),
    "hg.scenario failed": ("The scenario itself failed under helgrind (exit status %s): make "
                           "`make test EX=%02d` pass first.",
                           "场景本身在 helgrind 下就失败了（退出状态 %s）：先让 "
                           "`make test EX=%02d` 通过。"),
    "hg.left running": ("Processes were left running after the scenario ended.",
                        "场景结束后还有进程在运行。"),
    "hg.full logs": ("Full helgrind logs: %s/", "完整的 helgrind 日志：%s/"),
    "hg.clean verdict": ("helgrind: clean", "helgrind：没有问题"),
    "hg.fail verdict": ("helgrind: FAIL", "helgrind：未通过"),
    # the helgrind summary (tools/engine/helgrind_summary.py); {lock}, {line}, {detail}
    # and {call} are filled in by str.format, after the %-arguments
    "hg.static var": ("static variable", "静态变量"),
    "hg.global var": ("global variable", "全局变量"),
    "hg.local var": ("local variable", "局部变量"),
    "hg.member": (" (%d bytes into it: a member of a struct or array)",
                  "（从它开头起第 %d 字节：结构体或数组的一个成员）"),
    "hg.plus": (" (+%d bytes)", "（+%d 字节）"),
    "hg.block at": ("the %s-byte block allocated at %s", "那块 %s 字节的内存（分配于 %s）"),
    "hg.heap block": ("a %s-byte heap block", "一块 %s 字节的堆内存"),
    "hg.heap": ("heap memory, %d bytes into %s", "堆内存，偏移 %d 字节，位于%s"),
    "hg.owner": (" of %s (%s)", "（属于 %s，%s）"),
    "hg.local": ("a local variable%s, on thread #%s's stack", "一个局部变量%s，位于线程 #%s 的栈上"),
    "hg.memory that": ("memory that %s", "一块内存（valgrind 的描述：%s）"),
    "hg.at": ("%s (in %s)", "%s（在 %s 中）"),
    "hg.unknown place": ("an unknown place", "未知位置"),
    "hg.memory at": ("the memory at 0x%x", "地址 0x%x 处的内存"),
    "hg.a lock": ("a lock", "一把锁"),
    "hg.lock in": ("the lock in %s", "%s里的锁"),
    "hg.mutex at": ("a mutex (at 0x%x)", "一个互斥锁（地址 0x%x）"),
    "hg.main thread": ("#%d (the main thread)", "#%d（主线程）"),
    "hg.started at": ("#%d, started at %s (%s)", "#%d，由 %s（%s）创建"),
    "hg.threads": ("threads: %s", "线程：%s"),
    "hg.threads started at": ("threads: %s, started at %s (%s)", "线程：%s，都由 %s（%s）创建"),
    "hg.and": (" and ", " 和 "),
    "hg.semicolon": ("; ", "；"),
    "hg.comma": (", ", "、"),
    "hg.named place": ("%s (%s)", "%s（%s）"),
    "hg.op.read": ("read", "读了"),
    "hg.op.write": ("write", "写了"),
    "hg.race": ("Data race on %s: thread #%d %ss it at %s",
                "数据竞争发生在 %s：线程 #%d %s它（%s）"),
    "hg.race while": (" while thread #%d %ss it at %s", "，与此同时线程 #%d %s它（%s）"),
    "hg.no lock either": (", with no lock held by either", "，双方都没有持有任何锁"),
    "hg.held": (" (thread #%d held %s, thread #%d held %s: not the same lock)",
                "（线程 #%d 持有：%s；线程 #%d 持有：%s；不是同一把锁）"),
    "hg.no lock": ("no lock", "无"),
    "hg.race advice": (". Two threads touch the same memory and at least one writes, with nothing "
                       "ordering them: order them (e.g. read a thread's results only after "
                       "pthread_join), or protect every access with the same mutex, or make it "
                       "atomic.",
                       "。两个线程访问同一块内存，至少一个在写，却没有任何东西规定谁先谁后："
                       "要么给它们排好先后（例如等 pthread_join 之后再读线程的结果），"
                       "要么每次访问都用同一个互斥锁保护，要么改用原子操作。"),
    "hg.order": ("Lock order inversion: thread #%d took %s", "加锁顺序颠倒：线程 #%d 依次拿了 %s"),
    "hg.order earlier": (", while earlier a thread took %s", "，而此前有一个线程依次拿了 %s"),
    "hg.order swapped": (": the same lines with the locks swapped, so the order depends on the "
                         "arguments",
                         "：是同样的几行代码，只是两把锁对调了，所以加锁顺序取决于传进来的参数"),
    "hg.order advice": (". If both run at once, each holds one lock and waits for the other "
                        "forever: a deadlock (helgrind reports it even when this run did not "
                        "hang). Take locks in one global order.",
                        "。如果两边同时运行，就会各自攥着一把锁、永远等着另一把：这就是死锁"
                        "（即使这次运行没有卡住，helgrind 也会报告）。所有地方都按同一个全局顺序加锁。"),
    "hg.then": (" then ", "、"),
    "hg.order words": ("%s (%s%s)", "%s（%s%s）"),
    "hg.call chain": (" in %s, called from %s at %s", "，在 %s 中，由 %s 在 %s 处调用"),
    "hg.misuse.unlock_not_locked": (
        "unlocked {lock} at {line}, but no thread held it. Unlock only a mutex you locked, "
        "exactly once.",
        "在 {line}解锁了 {lock}，可当时没有任何线程持有它。只解锁你自己加锁的互斥锁，而且只解锁一次。"),
    "hg.misuse.unlock_invalid": (
        "unlocked {lock} at {line}, which is not a mutex in use (never locked, never initialised, "
        "or already destroyed). Unlock only a mutex you locked, exactly once.",
        "在 {line}解锁了 {lock}，但它并不是一个正在使用的互斥锁（从没锁过、从没初始化，"
        "或者已经销毁了）。只解锁你自己加锁的互斥锁，而且只解锁一次。"),
    "hg.misuse.unlock_foreign": (
        "unlocked {lock} at {line} while another thread held it. A mutex must be unlocked by the "
        "thread that locked it.",
        "在 {line}解锁了 {lock}，而它当时被另一个线程持有。互斥锁必须由给它加锁的那个线程来解锁。"),
    "hg.misuse.exit_holding_lock": (
        "ended while still holding a lock. Unlock on every way out of the thread function, "
        "early returns included, or every other thread that wants that lock waits forever.",
        "结束时还攥着一把锁。线程函数的每一条出口（包括提前 return）都要先解锁，"
        "否则其他想要这把锁的线程会永远等下去。"),
    "hg.misuse.destroy_locked": (
        "called pthread_mutex_destroy at {line} on a mutex that is still locked. Unlock it (and "
        "join the threads using it) before pthread_mutex_destroy.",
        "在 {line}对一个还锁着的互斥锁调用了 pthread_mutex_destroy。先解锁它"
        "（并 join 所有用到它的线程），再调用 pthread_mutex_destroy。"),
    "hg.misuse.dubious_condvar": (
        "signalled a condition variable at {line} while no thread held the mutex its waiters use. "
        "This is legal but helgrind cannot tell a wake-up from a race: change the shared state "
        "and signal while holding the mutex.",
        "在 {line}通知了条件变量，而当时没有线程持有等待者所用的那个互斥锁。"
        "这样写合法，但 helgrind 分不清这是一次唤醒还是一次数据竞争：请在持有互斥锁时修改共享状态，再通知条件变量。"),
    "hg.misuse.cond_wait_unlocked": (
        "waited on a condition variable at {line} without holding its mutex. Lock the mutex, "
        "then wait in a while loop that re-checks the condition.",
        "在 {line}等待条件变量时没有持有它的互斥锁。先给互斥锁加锁，"
        "再在一个反复检查条件的 while 循环里等待。"),
    "hg.misuse.cond_two_mutexes": (
        "used one condition variable at {line} with two different mutexes. Use one mutex per "
        "condition variable.",
        "在 {line}把同一个条件变量和两个不同的互斥锁混着用。一个条件变量只配一个互斥锁。"),
    "hg.misuse.relock": (
        "locked {lock} at {line} while already holding it: the thread waits for itself forever.",
        "在 {line}又去锁 {lock}，可它已经持有这把锁了：线程会永远等它自己。"),
    "hg.misuse.call_failed": (
        "got an error from {call} at {line}: {detail}. Check what the call returns.",
        "在 {line}调用 {call} 时出错了：{detail}。检查这个调用的返回值。"),
    "hg.misuse.other": ("was reported by helgrind at {line}: %s.", "在 {line}被 helgrind 报告：%s。"),
    "hg.inside glibc": (" (helgrind saw it inside the C library's %s, called from your code)",
                        "（helgrind 是在 C 库的 %s 里看到的，而它是你的代码调用的）"),
    "hg.a thread": ("A thread", "某个线程"),
    "hg.thread": ("Thread %s", "线程 %s"),
    "hg.subject comma": (",", "，"),
    "hg.subject space": (" ", ""),
    "hg.in process": ("\n   in process %d (%s)", "\n   在进程 %d 中（%s）"),
    "hg.driver": ("the driver", "测试驱动程序"),
    "hg.child of": ("a child of process %d", "进程 %d 的子进程"),
    "hg.could not finish": ("helgrind could not finish: %s.", "helgrind 没能完成检查：%s。"),
    "hg.found 1": ("helgrind found %d problem in your code:", "helgrind 在你的代码里发现了 %d 个问题："),
    "hg.found n": ("helgrind found %d problems in your code:", "helgrind 在你的代码里发现了 %d 个问题："),
    "hg.times": ("\n   helgrind reported this %d times", "\n   helgrind 把这个问题报告了 %d 次"),
    "hg.none": ("helgrind found no data race, lock-order or locking problem in your code.",
                "helgrind 在你的代码里没有发现数据竞争、加锁顺序或锁用法上的问题。"),
    "hg.ignored 1": ("%d report outside your code was not counted.",
                     "另有 %d 条报告与你的代码无关，没有计入。"),
    "hg.ignored n": ("%d reports outside your code were not counted.",
                     "另有 %d 条报告与你的代码无关，没有计入。"),
    "hg.no log": ("no helgrind log was found: the program did not start under valgrind",
                  "没有找到 helgrind 日志：程序没有在 valgrind 下启动"),
    "hg.empty log": ("a helgrind log is empty: valgrind did not get to run the program",
                     "有一份 helgrind 日志是空的：valgrind 没能运行这个程序"),
    "hg.cut short": ("the helgrind log of process %d (%s) stops before helgrind's final "
                     "\"ERROR SUMMARY\" line: the program was killed or crashed (a deadlock, a "
                     "time limit, a signal), so the check is incomplete",
                     "进程 %d（%s）的 helgrind 日志没有写到 helgrind 最后那行 \"ERROR SUMMARY\" "
                     "就断了：程序被杀掉或者崩溃了（死锁、超时、信号），所以这次检查不完整"),
    "hg.missing log": ("helgrind log %s is missing.", "找不到 helgrind 日志 %s。"),
    "hg.stack switch": (
        "valgrind warned \"client switching stacks?\": the program moved its stack pointer to "
        "memory valgrind does not know as a stack (a coroutine stack it was not told about), "
        "so it takes the switch for a stack frame of megabytes and its checks of the code "
        "running there cannot be trusted (reports may be missing or bogus). Register each "
        "coroutine stack with VALGRIND_STACK_REGISTER(start, end) from <valgrind/valgrind.h> "
        "when you create it, and VALGRIND_STACK_DEREGISTER it before freeing it.",
        "valgrind 警告 \"client switching stacks?\"：程序把栈指针移到了一块 valgrind "
        "不知道是栈的内存上（比如没有登记的协程栈），它会把这次切换当成一个几 MB 大的栈帧，"
        "在那里运行的代码的检查结果因此不可信（可能漏报，也可能误报）。创建协程时用 "
        "<valgrind/valgrind.h> 的 VALGRIND_STACK_REGISTER(起点, 终点) 登记它的栈，"
        "释放之前用 VALGRIND_STACK_DEREGISTER 注销。"),
}


def t(key, *args, environ=None):
    en, cn = MESSAGES[key]
    text = cn if zh(environ) else en
    return text % args if args else text
