#!/usr/bin/env python3
"""Compares revgate's and squawk's findings on the checks both have.

  compare.py REVGATE_JSON SQUAWK_JSON

Findings are matched by rule id, file and line (squawk counts lines from 0).
Prints a Markdown table: per shared rule, how many findings each reports,
how many only one of them reports, and why they differ.
"""
import json
import sys
from collections import defaultdict

# Why the tools differ on a shared check, found by reading the cases.
WHY = {
    "require-concurrent-index-creation":
        "revgate exempts every index on a table created earlier in the same file (the table "
        "is empty and unused); squawk exempts only tables created in the same transaction.",
    "prefer-robust-stmts":
        "Both judge a plain file as running outside a transaction; squawk also reports "
        "ALTER TABLE actions that re-run without failing (SET NOT NULL, ALTER COLUMN TYPE, "
        "ADD CONSTRAINT after DROP CONSTRAINT IF EXISTS...), revgate only what fails the "
        "second time.",
    "constraint-missing-not-valid":
        "squawk also reports UNIQUE and PRIMARY KEY constraints here, which cannot be NOT "
        "VALID; revgate reports them under disallowed-unique-constraint and "
        "adding-serial-primary-key-field. Both skip tables created earlier in the file.",
    "adding-foreign-key-constraint":
        "Both report a validated foreign key on an existing table; revgate skips tables "
        "created earlier in the file while they are empty.",
    "changing-column-type":
        "revgate skips tables created earlier in the file and type changes that only relax "
        "a limit (varchar(n) to longer or text); squawk reports every type change.",
    "adding-not-nullable-field":
        "revgate skips SET NOT NULL on tables created earlier in the file and when a "
        "validated CHECK (col IS NOT NULL) exists; squawk reports every SET NOT NULL.",
    "ban-drop-column": "revgate skips columns of tables created earlier in the same file.",
    "renaming-column": "revgate skips columns of tables created earlier in the same file.",
    "adding-field-with-default":
        "Both judge volatility; revgate skips tables created earlier in the file.",
}


def load_revgate(path):
    d = json.load(open(path))
    out = defaultdict(set)
    for f in d["findings"]:
        out[f["rule"]].add((f["file"], f["line"]))
    return out


def load_squawk(path):
    out = defaultdict(set)
    for f in json.load(open(path)):
        out[f["rule_name"]].add((f["file"], f["line"] + 1))
    return out


def main():
    r, s = load_revgate(sys.argv[1]), load_squawk(sys.argv[2])
    shared = sorted(set(r) & set(s) | (set(WHY) & (set(r) | set(s))))
    print("| rule | revgate | squawk | only revgate | only squawk | why they differ |")
    print("|---|---:|---:|---:|---:|---|")
    for rule in shared:
        a, b = r.get(rule, set()), s.get(rule, set())
        why = WHY.get(rule, "same findings") if a != b else "same findings"
        print(f"| {rule} | {len(a)} | {len(b)} | {len(a - b)} | {len(b - a)} | {why} |")
    only_r = sorted(set(r) - set(s))
    only_s = sorted(set(s) - set(r))
    print()
    print("Rules only revgate has on this corpus: " + ", ".join(
        f"{k} ({len(r[k])})" for k in only_r))
    print()
    print("Rules only squawk reports: " + ", ".join(f"{k} ({len(s[k])})" for k in only_s) +
          " (revgate sets lock_timeout and statement_timeout itself when it applies a revision)")


if __name__ == "__main__":
    main()
