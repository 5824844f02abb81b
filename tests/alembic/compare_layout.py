#!/usr/bin/python3
"""Compares revgate's answers on an Alembic project with Alembic's own.

    compare_layout.py ALEMBIC_JSON HEADS_JSON HISTORY_JSON [TARGET=SHOW_JSON...]

ALEMBIC_JSON is layout_answers.py's output; HEADS_JSON and HISTORY_JSON are
`revgate heads --format json` and `revgate history --format json`; each
TARGET=FILE pair is `revgate show TARGET --format json`.  Prints every
difference and exits 1 when there is one.
"""

import json
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def main(argv):
    want = load(argv[1])
    heads = load(argv[2])
    history = load(argv[3])
    diffs = []
    got_heads = [r["revision"] for r in heads]
    if sorted(got_heads) != sorted(want["heads"]):
        diffs.append("heads: revgate %s, alembic %s" % (got_heads, want["heads"]))
    got_hist = [r["revision"] for r in history]
    if got_hist != want["history"]:
        diffs.append("history order: revgate %s, alembic %s" % (got_hist, want["history"]))
    for r in history:
        w = want["revisions"].get(r["revision"])
        if w is None:
            diffs.append("%s: unknown to alembic" % r["revision"])
            continue
        if r["down_revisions"] != w["down_revisions"]:
            diffs.append("%s down_revisions: revgate %s, alembic %s"
                         % (r["revision"], r["down_revisions"], w["down_revisions"]))
        if sorted(r["branch_labels"]) != w["branch_labels"]:
            diffs.append("%s branch_labels: revgate %s, alembic %s"
                         % (r["revision"], r["branch_labels"], w["branch_labels"]))
        if r["depends_on"] != w["dependencies"]:
            diffs.append("%s depends_on: revgate %s, alembic %s"
                         % (r["revision"], r["depends_on"], w["dependencies"]))
        # revgate's message is one line: Alembic's first paragraph, joined
        if " ".join((r["message"] or "").split()) != " ".join((w["doc"] or "").split()):
            diffs.append("%s message: revgate %r, alembic %r"
                         % (r["revision"], r["message"], w["doc"]))
    for pair in argv[4:]:
        target, path = pair.split("=", 1)
        got = sorted(r["revision"] for r in load(path))
        if got != sorted(want["targets"][target]):
            diffs.append("target %s: revgate %s, alembic %s"
                         % (target, got, want["targets"][target]))
    for d in diffs:
        print(d)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
