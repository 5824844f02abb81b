#!/usr/bin/env python3
"""Builds the git guard benchmark's repository with git fast-import: 10,000
commits on main, 2,000 of which add a revision file (a chain, each on the
previous), the rest edit application code; then a branch 'feature' that adds
5 revisions on main's head, and a staged sixth revision on main.

usage: git_make_repo.py DIR [COMMITS] [REVISIONS]
"""
import os
import subprocess
import sys

out = sys.argv[1]
commits = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
revisions = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
every = commits // revisions


def rev_text(i, parent):
    t = f"t{i:05d}"
    return (
        f"-- revision: r{i:011d}\n"
        f"-- down_revision: {parent or 'none'}\n"
        f"-- message: create {t}\n"
        f"-- created: 2025-01-01T00:00:00Z\n\n"
        f"-- +upgrade\n"
        f"CREATE TABLE {t} (\n"
        f"    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
        f"    client_id bigint NOT NULL,\n"
        f"    body text NOT NULL,\n"
        f"    metadata jsonb NOT NULL DEFAULT '{{}}',\n"
        f"    created_at timestamptz NOT NULL DEFAULT now()\n"
        f");\n"
        f"CREATE INDEX {t}_client_idx ON {t} (client_id, created_at);\n"
        f"COMMENT ON TABLE {t} IS 'benchmark table {i}';\n\n"
        f"-- +downgrade\n"
        f"DROP TABLE {t};\n"
    )


def name(i):
    day, minute = divmod(i, 24 * 60)
    return f"migrations/2025{1 + day // 28:02d}{1 + day % 28:02d}_{minute // 60:02d}{minute % 60:02d}_r{i:011d}_create_t{i:05d}.sql"


def data(b):
    return b"data %d\n" % len(b) + b + b"\n"


os.makedirs(out)
subprocess.run(["git", "init", "-q", "-b", "main", out], check=True)
subprocess.run(["git", "-C", out, "config", "user.name", "bench"], check=True)
subprocess.run(["git", "-C", out, "config", "user.email", "bench@example.com"], check=True)
fi = subprocess.Popen(["git", "-C", out, "fast-import", "--quiet"], stdin=subprocess.PIPE)
w = fi.stdin.write
t0 = 1735689600
w(b"commit refs/heads/main\n")
w(b"committer bench <bench@example.com> %d +0000\n" % t0)
w(data(b"revgate.ini"))
w(b"M 100644 inline revgate.ini\n" + data(b"[revgate]\nmigrations = migrations\n"))
n = 0
for c in range(commits - 1):
    w(b"commit refs/heads/main\n")
    w(b"committer bench <bench@example.com> %d +0000\n" % (t0 + 60 * (c + 1)))
    if c % every == 0 and n < revisions:
        w(data(b"add revision %d" % n))
        parent = f"r{n - 1:011d}" if n else None
        w(b"M 100644 inline " + name(n).encode() + b"\n" + data(rev_text(n, parent).encode()))
        n += 1
    else:
        w(data(b"app change %d" % c))
        w(b"M 100644 inline app/module%d.txt\n" % (c % 50) + data(b"version %d\n" % c))
head = n - 1
# feature: 5 revisions on main's head
w(b"reset refs/heads/feature\nfrom refs/heads/main\n\n")
for k in range(5):
    i = revisions + 10 + k
    w(b"commit refs/heads/feature\n")
    w(b"committer bench <bench@example.com> %d +0000\n" % (t0 + 60 * (commits + k + 1)))
    w(data(b"feature revision %d" % k))
    parent = f"r{(head if k == 0 else i - 1):011d}"
    w(b"M 100644 inline " + name(i).encode() + b"\n" + data(rev_text(i, parent).encode()))
fi.stdin.close()
if fi.wait():
    sys.exit("git fast-import failed")
subprocess.run(["git", "-C", out, "checkout", "-q", "main"], check=True)
subprocess.run(["git", "-C", out, "repack", "-adq"], check=True)
# the pre-commit case: one new revision staged on main's head
i = revisions + 100
with open(os.path.join(out, name(i)), "w") as f:
    f.write(rev_text(i, f"r{head:011d}"))
subprocess.run(["git", "-C", out, "add", name(i)], check=True)
print(f"{out}: {commits} commits on main, {n} revisions, feature adds 5, 1 staged")
