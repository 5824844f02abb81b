#!/usr/bin/env python3
"""Agreement with squawk's own rule tests, on the rules both tools have.

  squawk_tests.py SQUAWK_REPO [--revgate BIN] [--squawk BIN] [--out FILE] [--json FILE]

SQUAWK_REPO is a git directory of https://github.com/sbdchd/squawk (a clone
or a bare mirror); its HEAD is read. Every #[test] of
crates/squawk_linter/src/rules/*.rs is read statically: each call of
lint_ok / lint_errors / fix (and their _with variants and the modules' own
wrappers) is one case, with its SQL, its rule, and the settings it passes
(pg_version, assume_in_transaction). Each case is written to a file and
linted by squawk's native binary and by revgate with the same settings
(revgate lints it as a plain SQL file; a PostgreSQL version below 13 is
judged as 11, the oldest revgate knows). A case agrees when both report the
case's rule, or neither does.

The Markdown report lists, per shared rule, the cases, the agreements and
every disagreement with its SQL, so that each can be explained in the
"Differences from squawk" section of the rule's page.
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
ROOT = os.path.dirname(os.path.dirname(HERE))
RULES_DIR = "crates/squawk_linter/src/rules"
CALLS_OK = {"lint_ok", "lint_ok_with"}
CALLS_ERR = {"lint_errors", "lint_errors_with", "fix_sql", "fix_sql_with"}


def git_show(repo, path):
    return subprocess.run(["git", "-C", repo, "show", "HEAD:" + path], check=True,
                          capture_output=True, text=True).stdout


def git_ls(repo, path):
    out = subprocess.run(["git", "-C", repo, "ls-tree", "--name-only", "HEAD", path + "/"],
                         check=True, capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if l.endswith(".rs")]


def rust_string(s, i):
    """The Rust string literal at s[i:] as (value, end), or None."""
    j = i
    if s.startswith("r", j) and j + 1 < len(s) and s[j + 1] in '#"':
        j += 1
        hashes = 0
        while s[j] == "#":
            hashes += 1
            j += 1
        if s[j] != '"':
            return None
        close = '"' + "#" * hashes
        k = s.find(close, j + 1)
        return (s[j + 1:k], k + len(close)) if k >= 0 else None
    if s[j] != '"':
        return None
    out = []
    j += 1
    while j < len(s):
        c = s[j]
        if c == "\\":
            n = s[j + 1]
            if n == "\n":
                j += 2
                while j < len(s) and s[j] in " \t\n":
                    j += 1
                continue
            esc = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0"}
            if n == "u":
                k = s.index("}", j)
                out.append(chr(int(s[j + 3:k], 16)))
                j = k + 1
                continue
            out.append(esc.get(n, n))
            j += 2
            continue
        if c == '"':
            return ("".join(out), j + 1)
        out.append(c)
        j += 1
    return None


def matching(s, i, open_c, close_c):
    """The index after the bracket that closes s[i] (== open_c), skipping strings."""
    depth = 0
    j = i
    while j < len(s):
        if s[j] in 'r"':
            lit = rust_string(s, j) if (s[j] == '"' or (s[j] == "r" and not s[j - 1].isalnum()
                                                         and s[j - 1] != "_")) else None
            if lit:
                j = lit[1]
                continue
        if s.startswith("//", j):
            j = s.find("\n", j)
            if j < 0:
                return len(s)
            continue
        if s[j] == open_c:
            depth += 1
        elif s[j] == close_c:
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return len(s)


def split_args(s):
    """Top-level comma-separated arguments of an argument list text."""
    args, depth, cur, j = [], 0, [], 0
    while j < len(s):
        if s[j] == '"' or (s[j] == "r" and s[j + 1:j + 2] in ('"', "#") and
                           (j == 0 or not (s[j - 1].isalnum() or s[j - 1] == "_"))):
            lit = rust_string(s, j)
            if lit:
                cur.append(s[j:lit[1]])
                j = lit[1]
                continue
        c = s[j]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c == "," and depth == 0:
            args.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        j += 1
    if "".join(cur).strip():
        args.append("".join(cur).strip())
    return args


def functions(src):
    """name -> (params, body) of every fn in src."""
    out = {}
    for m in re.finditer(r"\bfn\s+(\w+)\s*\(([^)]*)\)[^{;]*\{", src):
        end = matching(src, m.end() - 1, "{", "}")
        out.setdefault(m.group(1), (m.group(2), src[m.end():end - 1]))
    return out


def settings_of(text, helpers):
    """pg_version and assume_in_transaction named in text, or in a settings helper it calls."""
    pg = None
    assume = False
    m = re.search(r'pg_version:\s*"([0-9.]+)"', text)
    if m:
        pg = m.group(1)
    if re.search(r"assume_in_transaction:\s*true", text):
        assume = True
    for name, (params, body) in helpers.items():
        if "LinterSettings {" in body and re.search(r"\b%s\s*\(\s*\)" % re.escape(name), text):
            p2, a2 = settings_of(body, {})
            pg = pg or p2
            assume = assume or a2
    return pg, assume


def cases_of(repo, path, rule_names):
    src = git_show(repo, path)
    at = src.find("mod test")
    if at < 0:
        return []
    test = src[at:]
    fns = functions(test)
    file_rules = collections.Counter(re.findall(r"Rule::(\w+)", test))
    main_rule = rule_names.get(file_rules.most_common(1)[0][0]) if file_rules else None
    # the module's own wrappers: what they expect, their rule, their settings
    wrappers = {}
    for name, (params, body) in fns.items():
        if name in CALLS_OK | CALLS_ERR or "sql" not in params:
            continue
        calls = set(re.findall(r"\b(\w+)\s*\(", body))
        kind = "ok" if calls & CALLS_OK else "err" if calls & CALLS_ERR else None
        if not kind:
            continue
        r = re.search(r"Rule::(\w+)", body)
        wrappers[name] = (kind, rule_names.get(r.group(1)) if r else None,
                          settings_of(body, fns))
    out = []
    for m in re.finditer(r"#\[test\]\s*fn\s+(\w+)\s*\(\s*\)\s*\{", test):
        end = matching(test, m.end() - 1, "{", "}")
        body = test[m.end():end - 1]
        lets = {}
        for lm in re.finditer(r"let\s+(\w+)\s*=\s*", body):
            lit = rust_string(body, lm.end())
            if lit:
                lets[lm.group(1)] = lit[0]
        n = 0
        for cm in re.finditer(r"\b(\w+)\s*\(", body):
            name = cm.group(1)
            if name in CALLS_OK:
                kind, rule, st = "ok", None, (None, False)
            elif name in CALLS_ERR:
                kind, rule, st = "err", None, (None, False)
            elif name in wrappers:
                kind, rule, st = wrappers[name]
            else:
                continue
            close = matching(body, cm.end() - 1, "(", ")")
            args = split_args(body[cm.end():close - 1])
            if not args:
                continue
            first = args[0].lstrip("&")
            lit = rust_string(first, 0) if first[:1] in ('"', "r") else None
            sql = lit[0] if lit else lets.get(first)
            if sql is None:
                continue
            r = re.search(r"Rule::(\w+)", " ".join(args[1:]))
            rule = rule_names.get(r.group(1)) if r else rule or main_rule
            pg, assume = settings_of(" ".join(args[1:]), fns)
            pg = pg or st[0]
            assume = assume or st[1]
            n += 1
            out.append({"test": "%s::%s#%d" % (os.path.basename(path)[:-3], m.group(1), n),
                        "rule": rule, "sql": sql, "expect": kind, "pg": pg,
                        "assume": assume})
    return out


def run_squawk(squawk, path, case):
    cmd = [squawk, "--reporter", "json"]
    if case["pg"]:
        cmd.append("--pg-version=" + case["pg"])
    if case["assume"]:
        cmd.append("--assume-in-transaction")
    p = subprocess.run(cmd + [path], capture_output=True, text=True, cwd=os.path.dirname(path))
    try:
        return [f["rule_name"] for f in json.loads(p.stdout or "[]")]
    except json.JSONDecodeError:
        return ["?" + p.stdout[:80]]


def run_revgate(revgate, path, case):
    cmd = [revgate, "lint", "--format", "json"]
    if case["pg"]:
        major = int(case["pg"].split(".")[0])
        cmd += ["--pg-version", str(min(max(major, 11), 19))]
    if case["assume"]:
        cmd.append("--assume-in-transaction")
    p = subprocess.run(cmd + [os.path.basename(path)], capture_output=True, text=True,
                       cwd=os.path.dirname(path))
    try:
        return [f["rule"] for f in json.loads(p.stdout)["findings"]]
    except (json.JSONDecodeError, KeyError):
        return ["?" + (p.stdout + p.stderr)[:80]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repo")
    ap.add_argument("--revgate", default=os.path.join(ROOT, "revgate"))
    ap.add_argument("--squawk",
                    default=os.path.join(HERE, "node_modules/@squawk-cli/linux-x64/bin/squawk"))
    ap.add_argument("--out", help="write the Markdown report here (default: stdout)")
    ap.add_argument("--json", help="write every case and both verdicts here")
    a = ap.parse_args()

    lib = git_show(a.repo, "crates/squawk_linter/src/lib.rs")
    rule_names = dict(re.findall(r'Rule::(\w+)\s*=>\s*"([a-z-]+)"', lib))
    ours = json.loads(subprocess.run([a.revgate, "rules", "--format", "json"],
                                     capture_output=True, text=True, check=True).stdout)
    shared = {r["id"] for r in ours} & set(rule_names.values())
    version = subprocess.run([a.squawk, "--version"], capture_output=True,
                             text=True).stdout.split()[-1]
    head = subprocess.run(["git", "-C", a.repo, "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()

    cases = []
    for path in git_ls(a.repo, RULES_DIR):
        cases += [c for c in cases_of(a.repo, path, rule_names) if c["rule"] in shared]
    with tempfile.TemporaryDirectory() as tmp:
        for i, c in enumerate(cases):
            d = os.path.join(tmp, "c%d" % i)
            os.mkdir(d)
            f = os.path.join(d, "case.sql")
            with open(f, "w") as fh:
                fh.write(c["sql"])
            c["squawk"] = c["rule"] in run_squawk(a.squawk, f, c)
            c["revgate"] = c["rule"] in run_revgate(a.revgate, f, c)
            c["agree"] = c["squawk"] == c["revgate"]

    by_rule = collections.defaultdict(list)
    for c in cases:
        by_rule[c["rule"]].append(c)
    agree = sum(c["agree"] for c in cases)
    lines = ["# revgate against squawk's rule tests", "",
             "squawk %s (native binary) on the tests of squawk %s, %d cases on %d shared "
             "rules: **%d agree (%.1f%%)**, %d differ." % (
                 version, head, len(cases), len(by_rule), agree,
                 100.0 * agree / max(len(cases), 1), len(cases) - agree), "",
             "| rule | cases | agree | squawk only | revgate only |", "|---|---:|---:|---:|---:|"]
    for rule in sorted(by_rule):
        cs = by_rule[rule]
        lines.append("| %s | %d | %d | %d | %d |" % (
            rule, len(cs), sum(c["agree"] for c in cs),
            sum(c["squawk"] and not c["revgate"] for c in cs),
            sum(c["revgate"] and not c["squawk"] for c in cs)))
    lines += ["", "## Disagreements", ""]
    for rule in sorted(by_rule):
        for c in by_rule[rule]:
            if c["agree"]:
                continue
            who = "squawk" if c["squawk"] else "revgate"
            opts = " ".join(x for x in ("pg " + c["pg"] if c["pg"] else "",
                                        "assume-in-transaction" if c["assume"] else "") if x)
            lines.append("### %s: only %s reports it (`%s`%s)" % (
                rule, who, c["test"], ", " + opts if opts else ""))
            lines += ["", "```sql", c["sql"].strip("\n"), "```", ""]
    report = "\n".join(lines) + "\n"
    if a.out:
        with open(a.out, "w") as fh:
            fh.write(report)
    else:
        sys.stdout.write(report)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(cases, fh, indent=1)
    print("%d/%d agree (%.1f%%)" % (agree, len(cases), 100.0 * agree / max(len(cases), 1)),
          file=sys.stderr)


if __name__ == "__main__":
    main()
