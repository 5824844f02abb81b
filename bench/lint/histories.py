#!/usr/bin/env python3
"""revgate and squawk on real migration histories, statement by statement.

  histories.py [--revgate BIN] [--squawk BIN] [--out FILE] NAME=GITDIR:LAYOUT:PATH ...

Each history is read from HEAD of a git directory (a clone or a bare
mirror, e.g. what `git clone --mirror` leaves). LAYOUT says how its
migrations are stored:

  diesel   PATH/<version>/up.sql and down.sql            (Lemmy)
  pop      PATH/<version>_<name>[.postgres].up.sql, .down.sql  (Ory, Supabase auth)
  prisma   PATH/<version>/migration.sql, no downgrade    (Documenso)
  goose    PATH/<version>_<name>.sql with -- +goose Up / Down  (Hatchet)

Every migration becomes a revgate revision file, chained in version order,
and revgate lints the directory as one history (each revision judged
against the schema the earlier ones leave, run in a transaction as these
tools run them). squawk's native binary lints the original files one by one
(--assume-in-transaction, for the same reason; --pg-version 15, revgate's
default). Findings on the rules both have are compared per statement (the
statement whose lines hold the finding): recall is the share of squawk's
statements revgate also reports, precision the share of revgate's that
squawk also reports. Differences a rule's page explains (its "Differences
from squawk" section) are counted apart, by the checks in EXPLAINED below,
and the rest are listed.
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
# squawk 2.66's rule ids (crates/squawk_linter/src/lib.rs), plus its parse errors
SQUAWK_RULES = {
    "adding-field-with-default", "adding-foreign-key-constraint", "adding-not-nullable-field",
    "adding-required-field", "adding-serial-primary-key-field",
    "ban-alter-domain-with-add-constraint", "ban-char-field",
    "ban-concurrent-index-creation-in-transaction", "ban-create-domain-with-constraint",
    "ban-drop-column", "ban-drop-database", "ban-drop-not-null", "ban-drop-table",
    "ban-duplicate-column-assignments", "ban-truncate-cascade", "ban-uncommitted-transaction",
    "changing-column-type", "constraint-missing-not-valid", "disallowed-unique-constraint",
    "identifier-too-long", "prefer-bigint-over-int", "prefer-bigint-over-smallint",
    "prefer-identity", "prefer-repack", "prefer-robust-stmts", "prefer-text-field",
    "prefer-timestamp-tz", "renaming-column", "renaming-table",
    "require-concurrent-index-creation", "require-concurrent-index-deletion",
    "require-concurrent-partition-detach", "require-concurrent-reindex",
    "require-enum-value-ordering", "require-table-schema", "require-lock-timeout",
    "require-statement-timeout", "transaction-nesting", "syntax-error",
}
ROOT = os.path.dirname(os.path.dirname(HERE))


def git(repo, *args):
    return subprocess.run(["git", "-C", repo] + list(args), check=True, capture_output=True,
                          text=True, errors="replace").stdout


def migrations(repo, layout, path):
    """[(name, up, down or None)] in version order."""
    files = [f for f in git(repo, "ls-tree", "-r", "--name-only", "HEAD", path).splitlines()]
    show = lambda f: git(repo, "show", "HEAD:" + f)
    out = []
    if layout in ("diesel", "prisma"):
        dirs = sorted({os.path.dirname(f) for f in files if f.endswith(".sql")})
        for d in dirs:
            if layout == "diesel":
                if d + "/up.sql" not in files:
                    continue
                down = show(d + "/down.sql") if d + "/down.sql" in files else None
                out.append((os.path.basename(d), show(d + "/up.sql"), down))
            elif d + "/migration.sql" in files:
                out.append((os.path.basename(d), show(d + "/migration.sql"), None))
    elif layout == "pop":
        # <version>_<name>[.<dialect>][.autocommit].(up|down).sql: a dialect's own
        # file wins over the one for every dialect
        ups, downs = {}, {}
        for f in files:
            m = re.match(r"(\d+_[^.]+)((?:\.\w+)*)\.(up|down)\.sql$", os.path.basename(f))
            if not m:
                continue
            flags = m.group(2).split(".")[1:]
            dialect = [x for x in flags if x != "autocommit"]
            if dialect and dialect != ["postgres"]:
                continue
            side = ups if m.group(3) == "up" else downs
            if m.group(1) not in side or dialect:
                side[m.group(1)] = f
        for key in sorted(ups):
            out.append((key, show(ups[key]), show(downs[key]) if key in downs else None))
    elif layout == "goose":
        for f in sorted(f for f in files if f.endswith(".sql")):
            text = show(f)
            m = re.search(r"^--\s*\+goose\s+Down\b.*$", text, re.M | re.I)
            up, down = (text[:m.start()], text[m.end():]) if m else (text, None)
            out.append((os.path.basename(f)[:-4], up, down))
    return out


def statements(text):
    """[(first line, last line)] of each statement, 0-based, by a splitter that knows
    quotes, dollar quotes and comments."""
    out, i, n, start = [], 0, len(text), None
    line = 0
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
            continue
        if c.isspace():
            i += 1
            continue
        if text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            line += text.count("\n", i, j)
            i = j
            continue
        if start is None:
            start = line
        if c in "'\"":
            j = i + 1
            while j < n:
                if text[j] == c:
                    if j + 1 < n and text[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            line += text.count("\n", i, j)
            i = j + 1
            continue
        m = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$", text[i:i + 64]) if c == "$" else None
        if m:
            tag = m.group(0)
            j = text.find(tag, i + len(tag))
            j = n if j < 0 else j + len(tag)
            line += text.count("\n", i, j)
            i = j
            continue
        if c == ";":
            out.append((start, line))
            start = None
        i += 1
    if start is not None:
        out.append((start, line))
    return out


def stmt_of(stmts, line):
    for k, (a, b) in enumerate(stmts):
        if a <= line <= b:
            return k
    return None


def write_history(workdir, migs):
    """Writes revgate revision files; returns {revision file: (name, line offset)}."""
    mdir = os.path.join(workdir, "migrations")
    odir = os.path.join(workdir, "orig")
    os.makedirs(mdir)
    os.makedirs(odir)
    mapping = {}
    prev = "none"
    for i, (name, up, down) in enumerate(migs):
        rid = "%012x" % (0xa00000000000 + i)
        stamp = "%04d%02d%02d_%02d%02d" % (2000 + i // 8000, 1 + (i // 400) % 12,
                                          1 + (i // 16) % 25, (i // 4) % 4, (i % 4) * 10)
        slug = re.sub(r"[^a-z0-9]+", "_", name.lower())[:40].strip("_") or "m"
        header = ["-- revision: %s" % rid, "-- down_revision: %s" % prev,
                  "-- message: %s" % name]
        if down is None:
            header.append("-- irreversible: the original migration has no downgrade")
        header += ["", "-- +upgrade"]
        body = "\n".join(header) + "\n" + up
        if not up.endswith("\n"):
            body += "\n"
        if down is not None:
            body += "\n-- +downgrade\n" + down
        fname = "%s_%s_%s.sql" % (stamp, rid, slug)
        with open(os.path.join(mdir, fname), "w") as fh:
            fh.write(body)
        with open(os.path.join(odir, name + ".sql"), "w") as fh:
            fh.write(up)
        mapping["migrations/" + fname] = (name, len(header))
        prev = rid
    return mapping


# Differences a rule's page lists, each a check on a (rule, statement) that one
# tool reports and the other does not: the statement's SQL and the file's.
def table_of(sql):
    m = re.search(r'(?:ALTER\s+TABLE|DROP\s+TABLE|\bON)\s+(?:ONLY\s+|IF\s+EXISTS\s+)?'
                  r'("?[\w.]+"?)', sql, re.I)
    return m.group(1).replace('"', "").split(".")[-1] if m else None


def created_in(name, text, partitioned=False):
    return name and re.search(r'CREATE\s+(?:UNLOGGED\s+|TEMP(?:ORARY)?\s+|MATERIALIZED\s+VIEW\s+)?(?:TABLE\s+)?'
                              r'(?:IF\s+NOT\s+EXISTS\s+)?(?:"?\w+"?\.)?"?%s"?\b%s'
                              % (re.escape(name), r'[^;]*PARTITION\s+BY' if partitioned else ""),
                              text, re.I | re.S) is not None


def created_in_file(sql, file_sql):
    return created_in(table_of(sql), file_sql)


def column_added_in_file(sql, file_sql):
    m = re.search(r'DROP\s+COLUMN\s+(?:IF\s+EXISTS\s+)?"?(\w+)"?', sql, re.I)
    return m and re.search(r'ADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"?%s"?\s'
                           % re.escape(m.group(1)), file_sql, re.I)


SERIAL = r"\b(small|big)?serial\d?\b|GENERATED\s+(ALWAYS|BY\s+DEFAULT)\s+AS\s+IDENTITY"


EXPLAINED = {
    "squawk": [
        ("revgate runs a statement that cannot run in a transaction alone, outside the "
         "revision's transaction",
         lambda rule, sql, f, h: rule == "ban-concurrent-index-creation-in-transaction"),
        ("an index on a partitioned table: concurrent-index-on-partitioned-table reports it",
         lambda rule, sql, f, h: rule == "require-concurrent-index-creation" and
         (re.search(r"\bON\s+ONLY\b", sql, re.I) or created_in(table_of(sql), h, True))),
        ("a serial or identity column has a default: not a required field",
         lambda rule, sql, f, h: rule == "adding-required-field" and re.search(SERIAL, sql, re.I)),
        ("a column the same migration added is no loss",
         lambda rule, sql, f, h: rule == "ban-drop-column" and column_added_in_file(sql, f)),
        ("a table created earlier in the same migration is exempt",
         lambda rule, sql, f, h: rule in (
             "require-concurrent-index-creation", "adding-foreign-key-constraint",
             "constraint-missing-not-valid", "adding-field-with-default", "changing-column-type",
             "adding-not-nullable-field", "ban-drop-column", "renaming-column",
             "disallowed-unique-constraint", "adding-serial-primary-key-field",
             "adding-required-field", "ban-drop-not-null", "renaming-table", "ban-drop-table",
             "require-concurrent-index-deletion") and created_in_file(sql, f)),
        ("a type change that only relaxes a limit is not a rewrite",
         lambda rule, sql, f, h: rule == "changing-column-type" and re.search(
             r"TYPE\s+(text|varchar|character varying)\b", sql, re.I)),
        ("a default whose functions pg_proc lists as not volatile is stored, not computed",
         lambda rule, sql, f, h: rule == "adding-field-with-default"),
        ("UNIQUE, PRIMARY KEY and EXCLUDE cannot be NOT VALID: disallowed-unique-constraint "
         "and adding-serial-primary-key-field report them",
         lambda rule, sql, f, h: rule == "constraint-missing-not-valid" and re.search(
             r"\b(UNIQUE|PRIMARY\s+KEY|EXCLUDE)\b", sql, re.I)),
        ("an index dropped in the same migration it was created in",
         lambda rule, sql, f, h: rule == "require-concurrent-index-deletion"),
        ("template placeholders ({{ ... }}) are not SQL: squawk's lenient parser reads "
         "past them",
         lambda rule, sql, f, h: "{{" in f),
    ],
    "revgate": [
        ("a serial, identity or stored generated column fills every row: a rewrite",
         lambda rule, sql, f, h: rule == "adding-field-with-default" and re.search(SERIAL, sql, re.I)),
        ("statements in DO blocks are linted too",
         lambda rule, sql, f, h: re.match(r"\s*DO\b", sql, re.I)),
        ("revgate runs a CONCURRENTLY statement alone, outside a transaction: it must be "
         "safe to re-run",
         lambda rule, sql, f, h: rule == "prefer-robust-stmts" and re.search(
             r"\bCONCURRENTLY\b", sql, re.I)),
        ("a table the same migration filled is validated row by row",
         lambda rule, sql, f, h: rule in ("adding-foreign-key-constraint",
                                          "constraint-missing-not-valid") and
         re.search(r'INSERT\s+INTO\s+(?:"?\w+"?\.)?"?%s"?' % re.escape(table_of(sql) or "-"), f, re.I)),
        ("template placeholders ({{ ... }}) are not SQL: PostgreSQL refuses them, squawk "
         "cannot parse the file",
         lambda rule, sql, f, h: "{{" in f),
        ("syntax only PostgreSQL 16+ accepts (a subquery in FROM without an alias): "
         "revgate judges for PostgreSQL 15 by default",
         lambda rule, sql, f, h: rule == "syntax-error" and re.search(
             r"\)\s*(GROUP|ORDER|WHERE|;|$)", sql, re.I | re.M) and re.search(
             r"FROM\s*\(", sql, re.I)),
    ],
}


def explain(who, rule, sql, file_sql, history):
    for why, test in EXPLAINED[who]:
        if test(rule, sql, file_sql, history):
            return why
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("histories", nargs="+")
    ap.add_argument("--revgate", default=os.path.join(ROOT, "revgate"))
    ap.add_argument("--squawk",
                    default=os.path.join(HERE, "node_modules/@squawk-cli/linux-x64/bin/squawk"))
    ap.add_argument("--out")
    ap.add_argument("--keep", help="keep the generated histories in this directory")
    a = ap.parse_args()
    ours = json.loads(subprocess.run([a.revgate, "rules", "--format", "json"],
                                     capture_output=True, text=True, check=True).stdout)
    shared = {r["id"] for r in ours if r["family"] == "sql"} & SQUAWK_RULES
    lines = ["# revgate and squawk on real histories", ""]
    totals = collections.Counter()
    unexplained = []
    rows = []
    for spec in a.histories:
        name, rest = spec.split("=", 1)
        repo, layout, path = rest.split(":", 2)
        migs = migrations(repo, layout, path)
        work = tempfile.mkdtemp(prefix="hist-", dir=a.keep) if a.keep else tempfile.mkdtemp()
        mapping = write_history(work, migs)
        texts = {m[0]: m[1] for m in migs}
        history = "\n".join(m[1] for m in migs)
        stmts = {n: statements(t) for n, t in texts.items()}
        p = subprocess.run([a.revgate, "lint", "--format", "json"], cwd=work,
                           capture_output=True, text=True)
        rg = collections.defaultdict(set)
        for f in json.loads(p.stdout)["findings"]:
            if f["rule"] not in shared or f["file"] not in mapping or not f.get("line"):
                continue
            orig, off = mapping[f["file"]]
            k = stmt_of(stmts[orig], f["line"] - 1 - off)
            if k is not None:
                rg[f["rule"]].add((orig, k))
        sq = collections.defaultdict(set)
        odir = os.path.join(work, "orig")
        names = sorted(os.listdir(odir))
        for i in range(0, len(names), 200):
            p = subprocess.run([a.squawk, "--reporter", "json", "--assume-in-transaction",
                                "--pg-version", "15.0"] + names[i:i + 200], cwd=odir,
                               capture_output=True, text=True)
            for f in json.loads(p.stdout or "[]"):
                rule = f["rule_name"]
                if rule not in shared:
                    continue
                orig = f["file"][:-4]
                k = stmt_of(stmts[orig], f["line"])
                if k is not None:
                    sq[rule].add((orig, k))
        rules = sorted(set(rg) | set(sq))
        both = sq_only = rg_only = sq_expl = rg_expl = 0
        for rule in rules:
            s, r = sq[rule], rg[rule]
            both += len(s & r)
            for who, only in (("squawk", s - r), ("revgate", r - s)):
                for orig, k in sorted(only):
                    a0, b0 = stmts[orig][k]
                    sql = "\n".join(texts[orig].splitlines()[a0:b0 + 1])
                    why = explain(who, rule, sql, texts[orig], history)
                    if who == "squawk":
                        sq_only += 1
                        sq_expl += why is not None
                    else:
                        rg_only += 1
                        rg_expl += why is not None
                    if not why:
                        unexplained.append((name, who, rule, orig, a0 + 1, sql))
        s_total = both + sq_only - sq_expl
        r_total = both + rg_only - rg_expl
        rows.append((name, len(migs), both + sq_only, both + rg_only, both, sq_only, sq_expl,
                     rg_only, rg_expl, 100.0 * both / max(s_total, 1),
                     100.0 * both / max(r_total, 1)))
        totals.update({"s": both + sq_only, "r": both + rg_only, "both": both,
                       "sq_expl": sq_expl, "rg_expl": rg_expl})
    lines += ["Statements reported on the rules both tools have; squawk with "
              "--assume-in-transaction --pg-version 15.", "",
              "| history | migrations | squawk | revgate | both | squawk only (explained) | "
              "revgate only (explained) | recall | precision |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append("| %s | %d | %d | %d | %d | %d (%d) | %d (%d) | %.1f%% | %.1f%% |" % r)
    st = totals["s"] - totals["sq_expl"]
    rt = totals["r"] - totals["rg_expl"]
    lines += ["", "All: recall %.1f%%, precision %.1f%% (after the explained differences); "
              "before: recall %.1f%%, precision %.1f%%." % (
                  100.0 * totals["both"] / max(st, 1), 100.0 * totals["both"] / max(rt, 1),
                  100.0 * totals["both"] / max(totals["s"], 1),
                  100.0 * totals["both"] / max(totals["r"], 1)), ""]
    lines += ["## Differences not explained by a rule page", ""]
    for name, who, rule, orig, line, sql in unexplained:
        lines += ["### %s: only %s, %s (%s.sql:%d)" % (name, who, rule, orig, line), "",
                  "```sql", sql[:800], "```", ""]
    report = "\n".join(lines) + "\n"
    if a.out:
        with open(a.out, "w") as fh:
            fh.write(report)
    else:
        sys.stdout.write(report)


if __name__ == "__main__":
    main()
