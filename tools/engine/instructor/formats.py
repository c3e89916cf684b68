"""What a grading says, for people and machines: the table, the failing
tests, Gradescope's results.json and JUnit XML."""

import json
import os
import xml.etree.ElementTree as ET

from engine import lang, ui

MESSAGE_CHARS = 1500     # a failing test's output in results.json
FAILURES_SHOWN = 3       # failing tests listed per exercise in the table for people


def cut(text, limit=MESSAGE_CHARS):
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit].rstrip() + "\n... (cut)"


def _points(x):
    return ("%.2f" % x).rstrip("0").rstrip(".") if x != int(x) else "%d" % x


def table(graded, total, colour=True):
    paint = ui.paint if colour else (lambda text, _c: text)
    lines = ["%-18s %-8s %-8s %-9s %s" % ("exercise", "tests", "hidden", "helgrind", "points")]
    for g in graded:
        hidden = "%d/%d" % (g["hidden_passed"], g["hidden_total"]) if g["hidden_total"] else "-"
        full = g["score"] >= g["max_score"]
        pts = paint("%6.2f / %s" % (g["score"], _points(g["max_score"])), "green" if full else "red")
        lines.append("%-18s %-8s %-8s %-9s %s" % (g["exercise"], "%d/%d" % (g["passed"], g["total"]),
                                                  hidden, g["helgrind"] or "-", pts))
    max_total = sum(g["max_score"] for g in graded)
    lines.append("%-18s %-8s %-8s %-9s %6.2f / %s" % ("total", "", "", "", total, _points(max_total)))
    # allowed by the rules, worth a person's look (policy.review): never points
    for g in graded:
        for item in g.get("review", ()):
            lines.append(paint("%s %s: %s" % (lang.t("grade.review"), g["exercise"], item), "yellow"))
    return "\n".join(lines)


def failures(graded, colour=True):
    """One line per failing test: what the learner missed, first line only."""
    paint = ui.paint if colour else (lambda text, _c: text)
    lines = []
    for g in graded:
        if g["problem"]:
            lines.append("%s: %s" % (g["exercise"], g["problem"].splitlines()[0][:200]))
            continue
        failed = [t for t in g["tests"] if t["status"] == "failed"]
        for t in failed[:FAILURES_SHOWN]:
            first = (t["output"].splitlines() or [""])[0]
            lines.append("%s %s%s" % (paint("FAIL", "red"), t["name"],
                                      lang.t("grade.hidden") if t["hidden"] else ""))
            lines.append("       " + (first[:160] + ("..." if len(first) > 160 else "")))
        if len(failed) > FAILURES_SHOWN:
            lines.append("       " + lang.t("grade.more failing", len(failed) - FAILURES_SHOWN,
                                              g["exercise"]))
    return "\n".join(lines)


def junit(graded):
    root = ET.Element("testsuites", name="kata")
    for g in graded:
        failed = [t for t in g["tests"] if t["status"] == "failed"]
        suite = ET.SubElement(root, "testsuite", name=g["exercise"], tests=str(len(g["tests"])),
                              failures=str(len(failed)))
        for t in g["tests"]:
            case = ET.SubElement(suite, "testcase", classname=g["exercise"], name=t["name"])
            ET.SubElement(case, "properties")
            prop = case.find("properties")
            ET.SubElement(prop, "property", name="score", value="%g" % t["score"])
            ET.SubElement(prop, "property", name="max_score", value="%g" % t["max_score"])
            ET.SubElement(prop, "property", name="visibility", value=t["visibility"])
            if t["status"] == "failed":
                fail = ET.SubElement(case, "failure", message=(t["output"].splitlines() or [""])[0][:200])
                fail.text = t["output"]
    return ET.tostring(root, encoding="unicode")


def write_results(path, results, graded):
    path = os.path.abspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp%d" % os.getpid()
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1, ensure_ascii=False)
    os.replace(tmp, path)
    xml = os.path.join(os.path.dirname(path), "junit.xml")
    with open(xml, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n' + junit(graded) + "\n")
    return xml
