#!/usr/bin/python3
"""Alembic's own answers for a real Alembic project, as JSON on stdout.

    /usr/bin/python3 tests/alembic/layout_answers.py PROJECT_DIR [TARGET...]

PROJECT_DIR holds alembic.ini.  Alembic's ScriptDirectory loads the Python
files (running them), and this prints what revgate must also answer when it
reads the same files statically:

  heads        ids, in Alembic's order
  history      ids, newest first, as `alembic history` walks them
  revisions    per id: down_revisions, branch_labels, dependencies, doc
  targets      per TARGET given: the ids Alembic resolves it to

Alembic 1.8.1 (Debian bookworm) takes files in os.listdir() order; newer
Alembic sorts them, location by location.  The listing is sorted here as
newer Alembic does, so the tie-breaks are deterministic.
"""

import json
import os
import sys

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.script import base as script_base

_orig_list = script_base.Script._list_py_dir.__func__


def _sorted_list(cls, scriptdir, path):
    return sorted(_orig_list(cls, scriptdir, path))


script_base.Script._list_py_dir = classmethod(_sorted_list)


def as_list(v):
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    return list(v)


def main(argv):
    project = argv[1]
    cfg = Config(os.path.join(project, "alembic.ini"))
    script = ScriptDirectory.from_config(cfg)
    out = {
        "heads": list(script.get_heads()),
        "history": [s.revision for s in script.walk_revisions()],
        "revisions": {},
        "targets": {},
    }
    for s in script.walk_revisions():
        out["revisions"][s.revision] = {
            "down_revisions": as_list(s.down_revision),
            "branch_labels": sorted(s.branch_labels),
            "dependencies": as_list(s.dependencies),
            "doc": s.doc,
        }
    for t in argv[2:]:
        revs = script.revision_map.get_revisions(t)
        out["targets"][t] = [r.revision for r in revs if r is not None]
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main(sys.argv)
