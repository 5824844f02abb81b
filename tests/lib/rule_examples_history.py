#!/usr/bin/env python3
"""Writes every example of every SQL rule page as one revision history.

Usage: rule_examples_history.py RULES_DIR MIGRATIONS_DIR

For each page of rules/ with a failing or passing example (pages that judge
another PostgreSQL major than 15 are left out), two revisions: one that
empties the public schema (and the schemas the setup creates) and runs the
page's setup (the "pass-setup" block
for the passing example when the page has one), then one that runs the
example as its revision would run it (an example written as a revision
keeps its own header, so `transaction: false` stays; a plain-file example's
own BEGIN and COMMIT are left out, as the revision's transaction replaces
them). `revgate trace` then
traces the whole history on one server, so every statement of every
example is held against lint's lock table in one run.

Prints one line per example revision: "<revision id> <page> <fail|pass>".
"""
import os
import re
import sys


def block(md, tag):
    m = re.search(r"```sql " + re.escape(tag) + r"\n(.*?)```", md, re.S)
    return m.group(1) if m else None


def upgrade_of(sql):
    """An example written as a revision: its upgrade and its header keys."""
    if not sql.startswith("-- revision:"):
        return sql, []
    header = [l for l in sql.split("-- +upgrade")[0].splitlines()
              if l.startswith("-- transaction:")]
    body = sql.split("-- +upgrade", 1)[1].split("-- +downgrade", 1)[0]
    return body, header


TXN = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|END|START\s+TRANSACTION)\b[^;]*;?\s*$",
                 re.I | re.M)


def without_transaction_control(sql):
    """A plain-file example's own BEGIN ... COMMIT: a revision runs in one
    transaction of its own, so the statements inside keep their locks
    together as they did in the block."""
    return TXN.sub("", sql)


def main():
    rules_dir, out_dir = sys.argv[1], sys.argv[2]
    parent = "none"
    n = 0
    for name in sorted(os.listdir(rules_dir)):
        if not name.endswith(".md"):
            continue
        md = open(os.path.join(rules_dir, name), encoding="utf-8").read()
        pv = re.search(r"<!-- pg_version: (\d+) -->", md)
        if pv and pv.group(1) != "15":
            continue
        page = name[:-3]
        for kind in ("fail", "pass"):
            ex = block(md, kind)
            if ex is None:
                continue
            setup = block(md, "setup") or ""
            if kind == "pass" and block(md, "pass-setup") is not None:
                setup = block(md, "pass-setup")
            setup, _ = upgrade_of(setup)
            body, header = upgrade_of(ex)
            body = without_transaction_control(body)
            # the schemas a setup creates go with public, so the next
            # example's setup can create them again
            drops = "".join("DROP SCHEMA IF EXISTS %s CASCADE;\n" % n for n in
                            re.findall(r"CREATE SCHEMA (\w+)", setup, re.I))
            for text, extra, what in (
                (drops + "DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n" + setup, [],
                 "setup"),
                (body, header, kind),
            ):
                n += 1
                rid = "r%05d" % n
                with open(os.path.join(out_dir, "20250101_0000_%s_x.sql" % rid), "w",
                          encoding="utf-8") as f:
                    f.write("-- revision: %s\n-- down_revision: %s\n" % (rid, parent))
                    for h in extra:
                        f.write(h + "\n")
                    f.write("-- irreversible: an example\n-- message: %s %s\n\n"
                            "-- +upgrade\n%s\n" % (page, what, text))
                parent = rid
                if what != "setup":
                    print("%s %s %s" % (rid, page, kind))


main()
