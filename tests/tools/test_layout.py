"""The engine's layout (tools/ENGINE.md): every import points down a layer,
there is no import cycle, no function is over 60 lines and no module over
350 lines without a reason in its docstring. Read with `ast`, nothing is
imported or run.

    python3 -S -m unittest tests.tools.test_layout
    python3 -S -m tests.tools.test_layout      # the module map: layers, lines, longest functions
"""

import ast
import os
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(ROOT, "tools")
ENGINE = os.path.join(TOOLS, "engine")

# Layer of each module of tools/engine (a package: each of its modules).
# A module imports only modules of higher numbers: lower layers. The three
# packages of layer 2 never import each other; inside one, its modules may
# import each other (the cycle check keeps that a tree).
LAYERS = {
    "engine.cli": 1,
    "engine.learner": 2, "engine.instructor": 2, "engine.course_dev": 2,
    "engine.run": 3,
    "engine.report": 4, "engine.helgrind_summary": 4, "engine.places": 4,
    "engine.build": 5,
    "engine.contain": 6, "engine.policy": 6, "engine.sandbox": 6,
    "engine.procs": 7, "engine.machine": 7, "engine.readback": 7,
    "engine.course": 8,
    "engine.lang": 9, "engine.ui": 9,
}
ENTRY_LAYER = 0          # tools/*.py: the entry point and the shims
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 350
LONG_REASON = "Why so long:"  # a module over MAX_MODULE_LINES says why in its docstring


def python_files():
    """(module name, path) of every Python file of tools/."""
    found = []
    for d, dirs, files in os.walk(TOOLS):
        dirs[:] = sorted(x for x in dirs if x != "__pycache__")
        for f in sorted(files):
            if f.endswith(".py"):
                path = os.path.join(d, f)
                rel = os.path.relpath(path, TOOLS)[:-3].split(os.sep)
                if rel[-1] == "__init__":
                    rel = rel[:-1]
                found.append((".".join(rel), path))
    return found


def layer_of(module):
    """(layer, package) of a module name; None when it is not the engine's."""
    if module == "engine":
        return ENTRY_LAYER, "engine"
    if not module.startswith("engine"):
        return ENTRY_LAYER, None
    parts = module.split(".")
    for n in (2, 1):
        key = ".".join(parts[:n])
        if key in LAYERS:
            return LAYERS[key], key
    return None


def is_module(name):
    base = os.path.join(TOOLS, *name.split("."))
    return os.path.isfile(base + ".py") or os.path.isfile(os.path.join(base, "__init__.py"))


def imports(path):
    """(line, imported engine module) of every import in a file, nested
    ones too; `from engine.x import y` counts as engine.x.y when y is a
    module, else as engine.x."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for a in node.names:
                full = node.module + "." + a.name
                found.append((node.lineno, full if is_module(full) else node.module))
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, "." * node.level + (node.module or "")))
    return sorted(found)


FLAT = {m.split(".")[-1] for m, _ in python_files() if m.startswith("engine.")} | {"grade", "prereq", "kata"}


def layer_problems(files=None):
    """One line per import that points up or sideways, names the file and line."""
    problems = []
    for module, path in files or python_files():
        rel = os.path.relpath(path, ROOT)
        mine = layer_of(module)
        if mine is None:
            problems.append("%s: a module of no layer (add it to LAYERS in %s)" % (rel, __file__))
            continue
        for line, name in imports(path):
            if name.startswith("."):
                problems.append("%s:%d: relative import %s: write `from engine... import`" % (rel, line, name))
                continue
            if name.split(".")[0] in FLAT:
                problems.append("%s:%d: `import %s`: the engine's modules are imported as "
                                "engine.%s" % (rel, line, name, name))
                continue
            if not name.startswith("engine"):
                continue
            theirs = layer_of(name)
            if theirs is None:
                problems.append("%s:%d: imports %s, a module of no layer" % (rel, line, name))
            elif theirs[0] < mine[0] or (theirs[0] == mine[0] and theirs[1] != mine[1]):
                way = "up" if theirs[0] < mine[0] else "sideways"
                problems.append("%s:%d: imports %s (layer %d) from layer %d: %s"
                                % (rel, line, name, theirs[0], mine[0], way))
    return problems


def cycles():
    """Import cycles among the engine's modules, each as 'a -> b -> a'
    with the file and line of its first import."""
    graph, where = {}, {}
    for module, path in python_files():
        for line, name in imports(path):
            if name.startswith("engine") and name != module:
                graph.setdefault(module, set()).add(name)
                where.setdefault((module, name), "%s:%d" % (os.path.relpath(path, ROOT), line))
    found, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                loop = stack[stack.index(nxt):] + [nxt] if nxt in stack else [node, nxt]
                found.append("%s (%s)" % (" -> ".join(loop), where[(loop[0], loop[1])]))
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"
    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return found


def functions(path):
    """(name, first line, lines) of every function and method of a file."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    return [(node.name, node.lineno, node.end_lineno - node.lineno + 1) for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def size_problems():
    problems = []
    for _, path in python_files():
        rel = os.path.relpath(path, ROOT)
        for name, line, n in functions(path):
            if n > MAX_FUNCTION_LINES:
                problems.append("%s:%d: %s is %d lines (at most %d: split it)"
                                % (rel, line, name, n, MAX_FUNCTION_LINES))
        with open(path, encoding="utf-8") as f:
            text = f.read()
        lines = text.count("\n")
        doc = ast.get_docstring(ast.parse(text)) or ""
        if lines > MAX_MODULE_LINES and LONG_REASON not in doc:
            problems.append("%s: %d lines (over %d) and its docstring gives no reason (%r ...)"
                            % (rel, lines, MAX_MODULE_LINES, LONG_REASON))
    return problems


class Layout(unittest.TestCase):
    def test_every_import_points_down(self):
        self.assertEqual(layer_problems(), [], "\n" + "\n".join(layer_problems()))

    def test_no_import_cycle(self):
        self.assertEqual(cycles(), [], "\n" + "\n".join(cycles()))

    def test_functions_and_modules_are_short(self):
        self.assertEqual(size_problems(), [], "\n" + "\n".join(size_problems()))

    def test_the_checks_can_fail(self):
        """The rules themselves: an upward, a sideways and a flat import are
        refused, a downward one is not."""
        self.assertEqual(layer_of("engine.learner.watch"), (2, "engine.learner"))
        self.assertLess(layer_of("engine.cli")[0], layer_of("engine.run")[0])
        self.assertLess(layer_of("engine.run")[0], layer_of("engine.build")[0])
        self.assertLess(layer_of("engine.build")[0], layer_of("engine.procs")[0])
        self.assertLess(layer_of("engine.procs")[0], layer_of("engine.course")[0])
        with tempfile.TemporaryDirectory() as d:
            probe = os.path.join(d, "probe.py")
            with open(probe, "w") as f:
                f.write("from engine.learner import status\nfrom engine import cli\n"
                        "import course\nfrom engine import build\n")
            found = layer_problems([("engine.course_dev.probe", probe)])
        self.assertEqual(len(found), 3, found)
        self.assertIn(":1: imports engine.learner.status (layer 2) from layer 2: sideways", found[0])
        self.assertIn(":2: imports engine.cli (layer 1) from layer 2: up", found[1])
        self.assertIn(":3: `import course`", found[2])


def module_map():
    rows = []
    for module, path in python_files():
        with open(path, encoding="utf-8") as f:
            lines = f.read().count("\n")
        longest = max(functions(path), key=lambda x: x[2], default=("-", 0, 0))
        layer = layer_of(module)
        rows.append("%-32s layer %s  %4d lines  longest function %s (%d lines)"
                    % (module, layer[0] if layer else "?", lines, longest[0], longest[2]))
    return rows


if __name__ == "__main__":
    for row in module_map():
        print(row)
    problems = layer_problems() + cycles() + size_problems()
    print("\n".join(problems) or "layout: every import points down, no cycle, sizes within limits")
    sys.exit(1 if problems else 0)
