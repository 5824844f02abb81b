#!/usr/bin/env python3
"""Writes one linear history of N small revisions (one CREATE TABLE each)
for every tool the apply benchmark compares:

    OUTDIR/revgate/migrations/*.sql     revgate revision files
    OUTDIR/dbmate/db/migrations/*.sql   dbmate files (-- migrate:up/down)
    OUTDIR/alembic/                     an Alembic environment (online, psycopg2)
    OUTDIR/floor.sql                    every upgrade concatenated, for psql -1 -f

Ids are deterministic, so the same N always gives the same files.
"""
import hashlib
import os
import sys

n, out = int(sys.argv[1]), sys.argv[2]


def rid(i):
    return hashlib.sha1(f"bench-apply-{i}".encode()).hexdigest()[:12]


def table(i):
    return (f"CREATE TABLE t_{i:05d} (id bigint PRIMARY KEY, name text NOT NULL, "
            f"created_at timestamptz NOT NULL DEFAULT now())")


for d in ("revgate/migrations", "dbmate/db/migrations", "alembic/versions"):
    os.makedirs(os.path.join(out, d), exist_ok=True)

floor = []
for i in range(n):
    r, down = rid(i), (rid(i - 1) if i else None)
    minute = f"{i // 60 % 24:02d}{i % 60:02d}"
    day = 1 + i // 1440
    stamp = f"202501{day:02d}_{minute}"
    with open(f"{out}/revgate/migrations/{stamp}_{r}_table_{i}.sql", "w") as f:
        f.write(f"-- revision: {r}\n-- down_revision: {down or 'none'}\n"
                f"-- message: table {i}\n\n-- +upgrade\n{table(i)};\n\n"
                f"-- +downgrade\nDROP TABLE t_{i:05d};\n")
    with open(f"{out}/dbmate/db/migrations/{20250101000000 + i}_table_{i}.sql", "w") as f:
        f.write(f"-- migrate:up\n{table(i)};\n\n-- migrate:down\nDROP TABLE t_{i:05d};\n")
    with open(f"{out}/alembic/versions/{r}_table_{i}.py", "w") as f:
        f.write(f'"""table {i}"""\nfrom alembic import op\n\nrevision = "{r}"\n'
                f'down_revision = {repr(down)}\nbranch_labels = None\ndepends_on = None\n\n\n'
                f'def upgrade():\n    op.execute("{table(i)}")\n\n\n'
                f'def downgrade():\n    op.execute("DROP TABLE t_{i:05d}")\n')
    floor.append(table(i) + ";\n")

with open(f"{out}/floor.sql", "w") as f:
    f.writelines(floor)
with open(f"{out}/revgate/revgate.ini", "w") as f:
    f.write("[revgate]\nmigrations = migrations\n")
with open(f"{out}/alembic/alembic.ini", "w") as f:
    f.write("[alembic]\nscript_location = %(here)s\n")
with open(f"{out}/alembic/script.py.mako", "w") as f:
    f.write("")
with open(f"{out}/alembic/env.py", "w") as f:
    f.write('''import os
from alembic import context
from sqlalchemy import create_engine

per_migration = os.environ.get("ALEMBIC_PER_MIGRATION", "1") == "1"
engine = create_engine(os.environ["ALEMBIC_URL"])
with engine.connect() as connection:
    context.configure(connection=connection, transaction_per_migration=per_migration)
    with context.begin_transaction():
        context.run_migrations()
''')
