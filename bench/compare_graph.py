#!/usr/bin/python3
"""Check that revgate reads a revision graph exactly as Alembic does.

    /usr/bin/python3 bench/compare_graph.py OUTDIR [--revgate PATH]
        OUTDIR made by bench/gen_history.py: compares
        `revgate -C OUTDIR/revgate heads|history --format json` with Alembic's
        heads and history of OUTDIR/alembic (ids and order).

    /usr/bin/python3 bench/compare_graph.py --fixtures [CASE...] [--revgate PATH]
        compares revgate with tests/fixtures/graphs/*/expected.json: heads,
        history, branches (ids and order), `revgate show TARGET` for every absolute target, and every
        upgrade/downgrade run through
        `revgate upgrade|downgrade --plan FROM:TO --format json` (steps, and
        each step's "kind" and "heads_after" when the plan has them); checks
        that each invalid graph makes `revgate heads` fail.

Alembic's side runs in this process with its version-directory listing
sorted by file name: revgate orders siblings by file name, while Alembic
1.8.1 takes os.listdir() order, which the file system decides.  (The plain
`alembic history` command can therefore order siblings differently on another
file system; that is Alembic being unspecified, not a revgate bug.  The
script says when the unsorted order differs.)

Exit status: 0 all equal, 1 a difference (printed: which ids, expected vs
got, positions), 2 usage, 3 revgate missing or failing.
"""

import collections
import json
import os
import re
import subprocess
import sys

if (os.environ.get("PYTHONHASHSEED") != "0"
        and not os.environ.get("MAKE_FIXTURES_ANY_SEED")):
    os.execve(sys.executable, [sys.executable] + sys.argv,
              dict(os.environ, PYTHONHASHSEED="0"))

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "graphs")


RELATIVE = re.compile(r"(?:(.+?)@)?(\w+)?((?:\+|-)\d+)")


# the "invalid" kind of a fixture -> the rule id revgate reports it under
RULE_FOR_KIND = {
    "cycle": "revision-cycle",
    "dependency-cycle": "revision-cycle",
    "self-loop": "revision-cycle",
    "dependency-self-loop": "revision-cycle",
    "missing-parent": "missing-parent",
    "missing-dependency": "missing-dependency",
    "duplicate-revision": "duplicate-revision",
    "duplicate-label": "duplicate-branch-label",
}


class RevgateError(Exception):
    pass


def revgate_json(revgate, cwd, args):
    cmd = [revgate, "-C", cwd] + args + ["--format", "json"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        raise RevgateError("%s: exit %d\n%s" % (" ".join(cmd), p.returncode,
                                                p.stderr.strip()[:2000]))
    try:
        doc = json.loads(p.stdout)
    except ValueError as exc:
        raise RevgateError("%s: exit %d, output is not JSON (%s): %r\n%s"
                           % (" ".join(cmd), p.returncode, exc,
                              p.stdout[:300], p.stderr.strip()[:2000]))
    if p.returncode == 1 and not isinstance(doc, list):
        raise RevgateError("%s: exit 1\n%s" % (" ".join(cmd),
                                               p.stderr.strip()[:2000]))
    # exit 1 with a JSON array: findings (e.g. several heads) next to an
    # answer; the answer is what is compared
    return doc


def revision_ids(doc, what):
    if not isinstance(doc, list):
        raise RevgateError("%s: expected a JSON array, got %s"
                           % (what, type(doc).__name__))
    out = []
    for i, obj in enumerate(doc):
        if not isinstance(obj, dict) or "revision" not in obj:
            raise RevgateError("%s: element %d has no \"revision\": %r"
                               % (what, i, obj))
        out.append(obj["revision"])
    return out


def alembic_answers(ini, sort_listing):
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from alembic.script import base as script_base

    orig = script_base.Script.__dict__["_list_py_dir"]
    if sort_listing:
        def listing(cls, scriptdir, path):
            return sorted(orig.__func__(cls, scriptdir, path))
        script_base.Script._list_py_dir = classmethod(listing)
    try:
        script = ScriptDirectory.from_config(Config(ini))
        heads = [s.revision for s in script.get_revisions(script.get_heads())]
        history = [s.revision for s in script.walk_revisions("base", "heads")]
    finally:
        script_base.Script._list_py_dir = orig
    return heads, history


def diff_report(what, want, got, limit=10):
    """Empty string when equal; else a precise description."""
    if want == got:
        return ""
    lines = ["%s: differs (Alembic %d ids, revgate %d ids)"
             % (what, len(want), len(got))]
    sw, sg = set(want), set(got)
    missing = [i for i in want if i not in sg]
    extra = [i for i in got if i not in sw]
    if missing:
        lines.append("  missing in revgate (%d): %s"
                     % (len(missing), ", ".join(missing[:limit])
                        + (" ..." if len(missing) > limit else "")))
    if extra:
        lines.append("  not in Alembic's answer (%d): %s"
                     % (len(extra), ", ".join(extra[:limit])
                        + (" ..." if len(extra) > limit else "")))
    dup = sorted(i for i, n in collections.Counter(got).items() if n > 1)
    if dup:
        lines.append("  listed more than once by revgate: %s"
                     % ", ".join(dup[:limit]))
    first = next((k for k in range(min(len(want), len(got)))
                  if want[k] != got[k]), min(len(want), len(got)))
    lines.append("  first difference at position %d (0 = first line)" % first)
    lo = max(0, first - 2)
    hi = first + 5
    lines.append("    Alembic [%d..]: %s" % (lo, ", ".join(want[lo:hi])))
    lines.append("    revgate [%d..]: %s" % (lo, ", ".join(got[lo:hi])))
    if not missing and not extra and len(want) == len(got):
        pos_w = {r: k for k, r in enumerate(want)}
        moved = [(pos_w[r], k, r) for k, r in enumerate(got) if pos_w[r] != k]
        lines.append("  same ids, different order: %d ids at other positions"
                     % len(moved))
        for pw, pg, r in sorted(moved)[:limit]:
            lines.append("    %s: Alembic position %d, revgate %d" % (r, pw, pg))
    return "\n".join(lines)


def compare_outdir(outdir, revgate):
    ini = os.path.join(outdir, "alembic", "alembic.ini")
    rgdir = os.path.join(outdir, "revgate")
    if not os.path.exists(ini) or not os.path.isdir(rgdir):
        print("%s: not made by bench/gen_history.py" % outdir,
              file=sys.stderr)
        return 2
    heads, history = alembic_answers(ini, sort_listing=True)
    raw_heads, raw_history = alembic_answers(ini, sort_listing=False)
    if (raw_heads, raw_history) != (heads, history):
        print("note: plain `alembic heads/history` (os.listdir order) "
              "orders siblings differently here; comparing with the "
              "file-name order")
    try:
        got_heads = revision_ids(revgate_json(revgate, rgdir, ["heads"]),
                                 "heads")
        got_history = revision_ids(revgate_json(revgate, rgdir,
                                                ["history"]), "history")
    except RevgateError as exc:
        print(exc, file=sys.stderr)
        return 3
    bad = 0
    for what, want, got in (("heads", heads, got_heads),
                            ("history", history, got_history)):
        rep = diff_report(what, want, got)
        if rep:
            print(rep)
            bad += 1
        else:
            print("%s: same %d ids in the same order" % (what, len(want)))
    return 1 if bad else 0


def plan_steps(revgate, case_dir, command, frm, to):
    """The plan's steps: ids, kinds (or None), heads after each (or None)."""
    doc = revgate_json(revgate, case_dir,
                       [command, "--plan", "%s:%s" % (",".join(frm), to)])
    revision_ids(doc, "%s --plan" % command)
    # a revision run in several segments may be listed once per segment
    steps = [o for k, o in enumerate(doc)
             if k == 0 or doc[k - 1]["revision"] != o["revision"]]
    ids = [o["revision"] for o in steps]
    kinds = ([o["kind"] for o in steps]
             if all("kind" in o for o in steps) else None)
    after = ([sorted(o["heads_after"]) for o in steps]
             if all("heads_after" in o for o in steps) else None)
    return ids, kinds, after


def compare_fixtures(names, revgate):
    names = names or sorted(
        n for n in os.listdir(FIXTURES)
        if os.path.isdir(os.path.join(FIXTURES, n)))
    checked = bad = unavailable = 0
    for name in names:
        case_dir = os.path.join(FIXTURES, name)
        exp = json.load(open(os.path.join(case_dir, "expected.json")))
        if name.startswith("invalid_"):
            p = subprocess.run([revgate, "-C", case_dir, "heads"],
                               capture_output=True, text=True)
            checked += 1
            rule = RULE_FOR_KIND[exp["invalid"]]
            if p.returncode == 0:
                bad += 1
                print("%s: revgate heads exits 0 on an invalid graph "
                      "(expected a %s error)" % (name, rule))
            elif "error[%s]" % rule not in p.stderr:
                bad += 1
                print("%s: expected an error[%s] finding, revgate said:\n%s"
                      % (name, rule, p.stderr.strip()))
            continue
        for what in ("heads", "history", "branches"):
            checked += 1
            try:
                got = revision_ids(revgate_json(revgate, case_dir, [what]),
                                   what)
            except RevgateError as exc:
                bad += 1
                print("%s: %s" % (name, exc))
                continue
            want = exp[what]
            if what == "branches":
                want = [b["revision"] for b in want]
            rep = diff_report("%s %s" % (name, what), want, got)
            if rep:
                bad += 1
                print(rep)
        targets = dict(exp["targets"])
        # Alembic resolves a unique prefix of any length; revgate asks for
        # four characters (DESIGN.md) so a short prefix can never pick a
        # revision by luck. Those targets must be refused as not found.
        for target in exp.get("targets_short_prefix", {}):
            checked += 1
            p = subprocess.run([revgate, "-C", case_dir, "show", target],
                               capture_output=True, text=True)
            if p.returncode != 2 or "four characters" not in p.stderr:
                bad += 1
                print("%s show %s: a prefix under 4 characters must be refused, "
                      "revgate: exit %d %s" % (name, target, p.returncode,
                                                 p.stderr.strip()))
        for target, want in targets.items():
            if RELATIVE.match(target) or want == []:
                continue  # `show` resolves single revisions, as Alembic's
            checked += 1
            p = subprocess.run([revgate, "-C", case_dir, "show", target,
                                "--format", "json"],
                               capture_output=True, text=True)
            label = "%s show %s" % (name, target)
            if isinstance(want, list):
                # `alembic show` prints get_revisions(): every revision named
                got = None
                if p.returncode == 0:
                    try:
                        got = revision_ids(json.loads(p.stdout), "show")
                    except (ValueError, RevgateError):
                        got = None
                if got != want:
                    bad += 1
                    print("%s: expected %s, revgate: exit %d %s%s"
                          % (label, want, p.returncode,
                             got if got is not None else "",
                             p.stderr.strip()))
                continue
            # Alembic refuses
            if p.returncode == 0:
                bad += 1
                try:
                    answer = revision_ids(json.loads(p.stdout), "show")
                except (ValueError, RevgateError):
                    answer = p.stdout.strip()[:200]
                print("%s: expected an error (%s: %s), revgate answered %s"
                      % (label, want["error"], want["message"], answer))
                continue
            cands = want.get("candidates", [])
            missing = [c for c in cands if c not in p.stderr]
            if missing:
                bad += 1
                print("%s: revgate's error does not name %s: %s"
                      % (label, ", ".join(missing), p.stderr.strip()))
        for command in ("upgrade", "downgrade"):
            for run in exp[command]:
                checked += 1
                label = "%s %s --plan %s:%s" % (name, command,
                                               ",".join(run["from"]),
                                               run["to"])
                try:
                    got, kinds, after = plan_steps(revgate, case_dir, command,
                                                   run["from"], run["to"])
                except RevgateError as exc:
                    msg = str(exc).lower()
                    if ("not a command" in msg or "unknown command" in msg
                            or "unknown option" in msg):
                        unavailable += 1
                        checked -= 1
                        continue
                    if "error" in run:
                        # both refuse; an ambiguous target must name the
                        # candidates
                        missing = [c for c in run.get("candidates", [])
                                   if c not in str(exc)]
                        if run["error"] == "ambiguous" and missing:
                            bad += 1
                            print("%s: revgate's error does not name %s: %s"
                                  % (label, ", ".join(missing),
                                     str(exc).splitlines()[-1]))
                        continue
                    bad += 1
                    print("%s: expected %s, revgate failed: %s"
                          % (label, run["steps"], str(exc).splitlines()[-1]))
                    continue
                if "error" in run:
                    bad += 1
                    print("%s: expected error %s (%s), revgate planned %s"
                          % (label, run["error"], run["message"], got))
                    continue
                rep = diff_report(label, run["steps"], got)
                if rep:
                    bad += 1
                    print(rep)
                    continue
                # the version-table effect of each step, when the plan says
                if kinds is not None and kinds != run["step_kinds"]:
                    bad += 1
                    print("%s: version-table change per step differs\n"
                          "    Alembic: %s\n    revgate: %s"
                          % (label, run["step_kinds"], kinds))
                if after is not None and after != run["heads_after_each"]:
                    bad += 1
                    print("%s: version rows after each step differ\n"
                          "    Alembic: %s\n    revgate: %s"
                          % (label, run["heads_after_each"], after))
    print("%d checks, %d differences%s" % (
        checked, bad,
        ", %d plan checks skipped (--plan unavailable)" % unavailable
        if unavailable else ""))
    return 1 if bad else 0


def main(argv):
    revgate = os.path.join(ROOT, "revgate")
    args = []
    fixtures = False
    it = iter(argv)
    for a in it:
        if a == "--revgate":
            revgate = next(it, None)
        elif a == "--fixtures":
            fixtures = True
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            args.append(a)
    if not revgate or not (os.path.isfile(revgate)
                           and os.access(revgate, os.X_OK)):
        print("revgate binary not found at %s (build it with `make`, or "
              "pass --revgate PATH)" % revgate, file=sys.stderr)
        return 3
    if fixtures:
        return compare_fixtures(args, revgate)
    if len(args) != 1:
        print("usage: compare_graph.py OUTDIR | --fixtures [CASE...] "
              "[--revgate PATH]", file=sys.stderr)
        return 2
    return compare_outdir(args[0], revgate)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
