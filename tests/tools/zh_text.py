"""Every Chinese text of the repository, with its file and line, and the
house rules it must follow (CONTRIBUTING.md, "Chinese: one word per idea").

Where Chinese lives: the Chinese side of lang.MESSAGES (tools/engine/lang.py),
the `title_zh` keys of exercises/exercises.ini, the string literals with
Chinese in them in the C tests and harness (adjacent literals joined, as the
compiler joins them: the second argument of KATA_MSG, KATA_TR and KATA_SKIP),
the *.zh-CN.md files (code blocks left out) and the Chinese cells of the
tables of README.md.

    python3 -S -m tests.tools.zh_text      # every finding, as file:line: text
"""

import ast
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HAN = "\u3400-\u4dbf\u4e00-\u9fff"
WIDE = HAN + "\u3000-\u303f\uff00-\uffef\u2018-\u201d\u2026\u2014"  # with full-width punctuation
GLOSSARY_START = "<!-- glossary -->"
GLOSSARY_END = "<!-- /glossary -->"


class Text:
    """One Chinese text: where it is and what it says. A C text joined from
    literals on several lines keeps the (offset, line) where each starts."""

    def __init__(self, path, line, text, starts=None):
        self.path, self.line, self.text = path, line, text
        self.starts = starts or [(0, line)]

    def where(self, offset):
        """file:line of a character of the text."""
        return "%s:%d" % (self.path, [n for at, n in self.starts if at <= offset][-1])


def _has_chinese(s):
    return re.search("[%s]" % HAN, s) is not None


# ---- where the texts are -------------------------------------------------

def messages_texts(root=ROOT):
    """The Chinese side of every pair of lang.MESSAGES, with its line."""
    path = os.path.join(root, "tools", "engine", "lang.py")
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "MESSAGES":
            for value in node.value.values:
                zh = value.elts[1]
                found.append(Text("tools/engine/lang.py", zh.lineno, ast.literal_eval(zh)))
    return found


def ini_texts(root=ROOT):
    path = "exercises/exercises.ini"
    found = []
    with open(os.path.join(root, path), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.startswith("title_zh"):
                found.append(Text(path, n, line.split("=", 1)[1].strip()))
    return found


C_TOKEN = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|\s+|.', re.S)


def c_literals(source):
    """[(text, [(offset, line)])] of every run of adjacent string literals
    of C source, joined as the compiler joins them."""
    runs, run, line = [], None, 1
    for m in C_TOKEN.finditer(source):
        tok = m.group()
        if tok.startswith('"'):
            body = tok[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            if run is None:
                run = ["", []]
            run[1].append((len(run[0]), line))
            run[0] += body
        elif not (tok.isspace() or tok.startswith(("//", "/*"))) and run is not None:
            runs.append(tuple(run))
            run = None
        line += tok.count("\n")
    if run is not None:
        runs.append(tuple(run))
    return runs


def c_identifiers(source):
    """The names used in C code (outside comments and strings)."""
    code = [m.group() for m in C_TOKEN.finditer(source) if not m.group().startswith(("//", "/*", '"', "'"))]
    return set(re.findall(r"[A-Za-z_]\w*", "".join(code), re.A))


def c_files(root, top, pattern="*.[ch]"):
    """The course's C files under top: not the engine's own tests and their
    fixtures (tests/tools: hostile code, links that may point anywhere)."""
    paths = glob.glob(os.path.join(root, top, "**", pattern), recursive=True)
    tools = os.path.join(root, "tests", "tools") + os.sep
    return sorted(p for p in paths if not p.startswith(tools) and os.path.isfile(p) and not os.path.islink(p))


def c_texts(root=ROOT):
    found = []
    for path in c_files(root, "tests"):
        rel = os.path.relpath(path, root)
        with open(path, encoding="utf-8") as f:
            for text, starts in c_literals(f.read()):
                if _has_chinese(text):
                    found.append(Text(rel, starts[0][1], text, starts))
    return found


def markdown_texts(root=ROOT):
    """Each line of prose of the Chinese Markdown files (code blocks left out)."""
    found = []
    paths = glob.glob(os.path.join(root, "*.zh-CN.md")) + glob.glob(os.path.join(root, "exercises", "*", "*.zh-CN.md"))
    for path in sorted(paths):
        rel = os.path.relpath(path, root)
        fenced = in_code = False  # in_code: a `code span` goes on from the line before
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if line.lstrip().startswith("```"):
                    fenced = not fenced
                    continue
                text = ("`" if in_code else "") + line
                in_code = text.count("`") % 2 == 1
                if not fenced and not line.startswith("    ") and _has_chinese(line):
                    found.append(Text(rel, n, _chinese_cells(text + ("`" if in_code else ""))))
    return found


def table_texts(root=ROOT):
    """The Chinese cells of the tables of the English README (its words,
    with the Chinese term of each)."""
    found = []
    with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.startswith("|") and _has_chinese(line):
                found.append(Text("README.md", n, _chinese_cells(line.rstrip("\n"))))
    return found


def _chinese_cells(line):
    """A table row with its cells that have no Chinese blanked (an English
    column is not a Chinese sentence); any other line as it is."""
    if not line.startswith("|"):
        return line
    return "|".join(c if _has_chinese(c) else " " * len(c) for c in line.split("|"))


def all_texts(root=ROOT):
    return messages_texts(root) + ini_texts(root) + c_texts(root) + markdown_texts(root) + table_texts(root)


# ---- the rules -----------------------------------------------------------

def glossary(root=ROOT):
    """[(English, Chinese, [banned variants])] from the table of CONTRIBUTING.md;
    a variant written `还只是桩代码 → 仍然是桩代码` names its own replacement."""
    with open(os.path.join(root, "CONTRIBUTING.md"), encoding="utf-8") as f:
        text = f.read()
    table = text.split(GLOSSARY_START, 1)[1].split(GLOSSARY_END, 1)[0]
    rows = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or set(cells[0]) <= set("-: ") or cells[0] == "English":
            continue
        banned = [b.strip() for b in re.split("[、,]", cells[2]) if b.strip() and b.strip() != "—"]
        rows.append((cells[0], cells[1], banned))
    return rows


# English words that are never a code name in a Chinese sentence, even when
# the C code has a variable of that name
FUNCTION_WORDS = set("a an and are as at be but by for from in is it no not of on or the then to with".split())


def allowed_words(root=ROOT):
    """The English words a Chinese sentence may use outside backticks: the
    list under the glossary (commands, units, kept terms) and the names of
    the C code of the course (functions, types, variables, fields)."""
    with open(os.path.join(root, "CONTRIBUTING.md"), encoding="utf-8") as f:
        text = f.read()
    kept = set(text.split(GLOSSARY_END, 1)[1].split("```", 2)[1].split())
    names = set()
    for top in ("exercises", "solutions", "tests"):
        for path in c_files(root, top, "*.[chS]"):
            with open(path, encoding="utf-8", errors="replace") as f:
                names |= c_identifiers(f.read())
    return kept | (names - FUNCTION_WORDS)


CODE = re.compile(r"`[^`]*`")
# code written out in a C message: a call, a member, a pointer, an escape
CALL = re.compile(r"\b\w+\((?:[^()\n]|\([^()\n]*\))*\)|\w+->\w+|\*\w+|\\[a-z0]|\b\w+ [=!<>]= \w+\b|\]\([^()\s]*\)", re.A)
# a printf or str.format field, a path or file name, an option, a URL, a tag
FORMAT = re.compile(r"%(?:\d+\$)?[-#0 +.\d*lhz]*[a-zA-Z%]")
NOT_WORDS = re.compile(r"\{[^{}\n]*\}|https?://\S+|[\w.%#$-]*[/.][\w./*%#$-]+"
                       r"|\B-\w+|<[^>]*>|\b\d\d-[a-z]+", re.A)
# quoted text (data, a message in English), and a term's English name given
# beside its Chinese one: 僵尸进程（zombie）, **mutex（互斥锁）**
QUOTED = re.compile(r'"[^"\n]*"|\u201c[^\u201d\n]*\u201d|\u300c[^\u300d\n]*\u300d|\uff08[A-Za-z][\w ,\uff0c-]*\uff09'
                    r'|[A-Za-z][\w-]*(?: [A-Za-z][\w-]*)?(?=\uff08[^\uff09]*[%s])' % HAN, re.A)
SPACE_INSIDE = re.compile(r"(?<=[%s])[ \t]+(?=[%s])" % (WIDE, WIDE))
HALF_PUNCT = re.compile(r"(?<=[%s])[,:;?!()]|[,:;?!()](?=[%s])" % (WIDE, WIDE))
HALF_QUOTE = re.compile(r'"[^"\n]*"')  # each pair, in order: one with Chinese inside is a quotation
NO_SPACE = re.compile(r"(?<=[%s])[A-Za-z0-9`]|[A-Za-z0-9`](?=[%s])" % (HAN, HAN))
WORD = re.compile(r"[A-Za-z_][\w'-]*(\(\))?", re.A)


def _mask(text, pattern, keep_ends=False):
    """The text with every match of pattern blanked out (offsets kept); with
    keep_ends, its first and last characters stay (the backticks of code)."""
    if keep_ends:
        return pattern.sub(lambda m: m.group()[0] + "\x01" * (len(m.group()) - 2) + m.group()[-1], text)
    return pattern.sub(lambda m: "\x01" * len(m.group()), text)


def _is_code_name(word):
    """pthread_join, SIGKILL, O_NONBLOCK, EAGAIN, CPU: a name, not an English word."""
    return (re.search(r"[_\d(]", word) or word.isupper() or len(word) == 1
            or re.search(r"[a-z][A-Z]", word))


FULL_WIDTH = dict(zip(",:;?!()", "\uff0c\uff1a\uff1b\uff1f\uff01\uff08\uff09"))
ENGLISH_FIX = ("write it in Chinese (the glossary's word if it has one), or in backticks if it is code "
               "(Markdown), or add a command or a term kept in English to the list under the glossary "
               "in CONTRIBUTING.md")


def findings(texts, terms, allowed):
    """[(file:line, rule and what to write instead, offending text)] of
    every break of a rule."""
    found = []
    for t in texts:
        bare = _mask(_mask(t.text, CODE), CALL)
        spots = _glossary_spots(bare, terms) + _punctuation_spots(bare) + _spacing_spots(t.text)
        spots += _english_spots(bare, allowed)
        for start, end, rule in spots:
            found.append((t.where(start), rule, _around(t.text, start, end)))
    return found


def _glossary_spots(bare, terms):
    """[(start, end, rule)] of every banned variant of a glossary term."""
    spots = []
    for english, chinese, banned in terms:
        preferred = [(m.start(), m.end()) for w in re.findall("[%s]+" % HAN, chinese)
                     for m in re.finditer(w, bare)]
        for entry in banned:
            variant, _, instead = (x.strip() for x in entry.partition("\u2192"))
            for m in re.finditer(re.escape(variant), bare):
                if any(a < m.end() and m.start() < b and not m.start() <= a < b <= m.end()
                       for a, b in preferred):
                    continue  # 放掉 inside 释放掉 is not 放掉
                spots.append((m.start(), m.end(), "%s: write %s, not %s" % (english, instead or chinese, variant)))
    return spots


def _punctuation_spots(bare):
    spots = []
    for m in HALF_QUOTE.finditer(bare):
        if _has_chinese(m.group()):
            spots.append((m.start(), m.end(), "a Chinese quotation in half-width quotes: write \u201c%s\u201d"
                          % m.group()[1:-1]))
    for m in HALF_PUNCT.finditer(bare):
        spots.append((m.start(), m.end(), "half-width %r beside Chinese: write %r (full-width)"
                      % (m.group(), FULL_WIDTH[m.group()])))
    return spots


def _spacing_spots(text):
    """A space between two Chinese characters; none between Chinese and Latin or digits."""
    bare = _mask(_mask(text, CODE), CALL)
    spots = [(m.start(), m.end(), "a space between Chinese characters: remove it")
             for m in SPACE_INSIDE.finditer(bare)]
    for m in NO_SPACE.finditer(_mask(_mask(_mask(text, CODE, keep_ends=True), NOT_WORDS), FORMAT)):
        at = m.start() if _has_chinese(text[m.start() - 1:m.start()]) else m.start() + 1
        spots.append((m.start(), m.end(), "no space between Chinese and Latin or digits: write %r"
                      % (_run(text[:at][::-1])[::-1] + " " + _run(text[at:]))))
    return spots


def _run(text):
    """The first word of text: Chinese characters, or Latin letters and digits."""
    return re.match("[%s]{1,6}|[A-Za-z0-9_`]{1,12}" % HAN, text).group()


def _english_spots(bare, allowed):
    spots = []
    for m in WORD.finditer(_mask(_mask(_mask(bare, QUOTED), NOT_WORDS), FORMAT)):
        w = m.group()
        if not _is_code_name(w) and w not in allowed and w.lower() not in allowed:
            spots.append((m.start(), m.end(), "English word %r in a Chinese sentence: %s" % (w, ENGLISH_FIX)))
    return spots


def _around(text, start, end):
    return text[max(0, start - 12):end + 12].replace("\n", " ")


def report(found):
    """One line per finding: file:line: rule: write instead. In: the text around it."""
    return "".join("%s: %s. In: %s\n" % f for f in found)


def main():
    found = findings(all_texts(), glossary(), allowed_words())
    sys.stdout.write(report(found))
    print("%d findings" % len(found), file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
