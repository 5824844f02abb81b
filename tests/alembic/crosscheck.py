#!/usr/bin/python3
"""Cross-check the fixtures against Alembic's full command layer.

make_fixtures.py feeds Alembic a RevisionMap built in file-name order.  This
script checks that shortcut: for every valid case it writes a real Alembic
project (alembic.ini, an offline env.py, versions/*.py with the same file
stems), lets Alembic's ScriptDirectory load the Python files (with its
directory listing sorted by name, since os.listdir() order is unspecified)
and runs the real commands:

  alembic heads / heads --resolve-dependencies / history   -> ids and order
  alembic upgrade FROM:TO --sql, downgrade FROM:TO --sql    -> the
      "-- Running upgrade A -> B" lines, for every run of expected.json whose
      "from" has at most one revision (offline mode takes one starting rev)

and compares with expected.json.  Exit 1 on any difference.

    /usr/bin/python3 tests/alembic/crosscheck.py [CASE...]
"""

import contextlib
import io
import json
import os
import re
import shutil
import sys
import tempfile

if (os.environ.get("PYTHONHASHSEED") != "0"
        and not os.environ.get("MAKE_FIXTURES_ANY_SEED")):
    os.execve(sys.executable, [sys.executable] + sys.argv,
              dict(os.environ, PYTHONHASHSEED="0"))

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from alembic.script import base as script_base  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(HERE, "..", "fixtures", "graphs"))

ENV_PY = '''\
from alembic import context

config = context.config


def run_migrations_offline():
    context.configure(url="postgresql://", literal_binds=True,
                      dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    raise SystemExit("this environment only runs offline (--sql)")
'''

INI = '''\
[alembic]
script_location = %(here)s
'''


def py_literal(ids):
    if not ids:
        return "None"
    if len(ids) == 1:
        return repr(ids[0])
    return repr(tuple(ids))


def write_env(case_dir, exp):
    d = tempfile.mkdtemp(prefix="revgate-crosscheck-")
    os.makedirs(os.path.join(d, "versions"))
    with open(os.path.join(d, "env.py"), "w") as f:
        f.write(ENV_PY)
    with open(os.path.join(d, "alembic.ini"), "w") as f:
        f.write(INI)
    for r in exp["revisions"]:
        stem = r["file"][:-len(".sql")]
        with open(os.path.join(d, "versions", stem + ".py"), "w") as f:
            f.write('"""%s"""\n' % r["message"])
            f.write("revision = %r\n" % r["revision"])
            f.write("down_revision = %s\n" % py_literal(r["down_revisions"]))
            f.write("branch_labels = %s\n" % py_literal(r["branch_labels"]))
            f.write("depends_on = %s\n\n\n" % py_literal(r["depends_on"]))
            f.write("def upgrade():\n    pass\n\n\n"
                    "def downgrade():\n    pass\n")
    return d


_orig_list = script_base.Script._list_py_dir.__func__


def _sorted_list(cls, scriptdir, path):
    return sorted(_orig_list(cls, scriptdir, path))


script_base.Script._list_py_dir = classmethod(_sorted_list)


def run(cfg, fn, *args, **kw):
    out = io.StringIO()
    cfg.stdout = out
    with contextlib.redirect_stdout(out):
        fn(cfg, *args, **kw)
    return out.getvalue()


def ids_of(text):
    # heads: "<id> (label) (head)"; history: "<down> -> <id> (...), msg"
    ids = []
    for line in text.splitlines():
        if " -> " in line:
            line = line.split(" -> ", 1)[1]
        if line.strip():
            ids.append(line.split()[0].rstrip(","))
    return ids


_running = re.compile(r"^-- Running (upgrade|downgrade) (.*) -> (.*)$")


def steps_of(sql, downgrade):
    steps = []
    for line in sql.splitlines():
        m = _running.match(line)
        if m:
            steps.append(m.group(2) if downgrade else m.group(3))
    return steps


def check_case(name):
    case_dir = os.path.join(FIXTURES, name)
    exp = json.load(open(os.path.join(case_dir, "expected.json")))
    if name.startswith("invalid_"):
        return 0, 0
    d = write_env(case_dir, exp)
    cfg = Config(os.path.join(d, "alembic.ini"))
    bad = checked = 0

    def compare(what, got, want):
        nonlocal bad, checked
        checked += 1
        if got != want:
            bad += 1
            print("%s: %s\n  alembic: %s\n  fixture: %s"
                  % (name, what, got, want))

    try:
        compare("heads", ids_of(run(cfg, command.heads)), exp["heads"])
        compare("heads --resolve-dependencies",
                ids_of(run(cfg, command.heads, resolve_dependencies=True)),
                exp["heads_resolve_dependencies"])
        compare("history", ids_of(run(cfg, command.history)),
                exp["history"])
        for key, fn in (("upgrade", command.upgrade),
                        ("downgrade", command.downgrade)):
            for r in exp[key]:
                if len(r["from"]) > 1 or "@" in r["to"]:
                    continue
                if re.match(r"^[+-]\d+$", r["to"]) and not r["from"]:
                    continue  # offline mode needs a starting revision
                rng = "%s:%s" % (r["from"][0] if r["from"] else "base",
                                 r["to"])
                try:
                    got = steps_of(run(cfg, fn, rng, sql=True),
                                   key == "downgrade")
                except Exception as exc:  # noqa: BLE001
                    got = "error: %s" % type(exc).__name__
                want = r.get("steps", "error")
                if want == "error" and isinstance(got, str):
                    checked += 1
                    continue
                compare("%s %s" % (key, rng), got, want)
    finally:
        shutil.rmtree(d)
    return checked, bad


def main(argv):
    names = argv or sorted(
        n for n in os.listdir(FIXTURES)
        if os.path.isdir(os.path.join(FIXTURES, n)))
    total = bad = 0
    for n in names:
        c, b = check_case(n)
        total += c
        bad += b
    print("%d comparisons, %d differences" % (total, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
