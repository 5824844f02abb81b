#!/usr/bin/env bats
# Alembic projects read in place (layout = alembic): revision files read
# statically in the forms real projects write, with the same answers as
# Alembic itself (Debian's python3-alembic loads the same files); their SQL
# from Alembic's offline mode, cached; merge and rebase writing files
# Alembic loads; the git guard on .py files.

load helpers
load git_helpers

ALEMBIC="/usr/bin/python3 -m alembic"

setup() {
	git_setup
	export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
	mkdir -p alembic/versions
	cat >alembic.ini <<'EOF'
[alembic]
script_location = %(here)s/alembic
sqlalchemy.url = postgresql://localhost/app
version_path_separator = os  # Use os.pathsep.
EOF
	cat >alembic/env.py <<'EOF'
from alembic import context

config = context.config


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True,
                      dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    raise SystemExit("offline only")
EOF
	# Alembic 1.13's typed template, with a Mako comment line
	cat >alembic/script.py.mako <<'EOF'
"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

"""
## a comment Mako drops
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
${imports if imports else ""}

# revision identifiers, used by Alembic.
revision: str = ${repr(up_revision)}
down_revision: Union[str, None] = ${repr(down_revision)}
branch_labels: Union[str, Sequence[str], None] = ${repr(branch_labels)}
depends_on: Union[str, Sequence[str], None] = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
EOF
	printf '[revgate]\nlayout = alembic\n\n[alembic]\ncommand = %s\n' "$ALEMBIC" >revgate.ini
	rm -rf migrations
}

# py FILE BODY: a revision file in alembic/versions
py() {
	cat >"alembic/versions/$1"
}

# quirky_history: the forms real projects write, in one history
quirky_history() {
	: >alembic/versions/__init__.py
	mkdir -p alembic/versions/__pycache__
	printf 'junk' >alembic/versions/__pycache__/x.cpython-311.pyc
	py 0001_initial.py <<'EOF'
"""initial schema

Revision ID: a1b2c3d4e5f6
Revises:
Create Date: 2024-01-31 12:00:00.123456

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'a1b2c3d4e5f6'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("users", sa.Column("id", sa.BigInteger(), primary_key=True))


def downgrade():
    op.drop_table("users")
EOF
	py add_users_0002.py <<'EOF'
"""add email
to users"""
from typing import Sequence, Union
from alembic import op

revision: str = "add_users_0002"

# the parent, written as a one-element tuple
down_revision: Union[str, Sequence[str], None] = ("a1b2c3d4e5f6",)
branch_labels: Union[str, Sequence[str], None] = None  # none yet

depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute("SELECT 1")


def downgrade() -> None:
    pass
EOF
	py b2_billing.py <<'EOF'
'''billing branch'''
revision = "b2"
down_revision = 'a1b2c3d4e5f6'
branch_labels = ('billing',)
depends_on = None
def upgrade(): pass
def downgrade(): pass
EOF
	py c3_invoices.py <<'EOF'
"""invoices"""
revision = "c3"
down_revision = "b2"
branch_labels = None
depends_on = "add_users_0002"
def upgrade(): pass
def downgrade(): pass
EOF
	py d4_merge.py <<'EOF'
"""merge users and billing"""
revision = 'd4'
down_revision = (
    'add_users_0002',  # users
    # and billing
    "c3",
)
branch_labels = None
depends_on = None
def upgrade(): pass
def downgrade(): pass
EOF
}

@test "the forms real projects write give Alembic's own answers: heads, history, labels, depends_on, targets" {
	quirky_history
	/usr/bin/python3 "$ROOT/tests/alembic/layout_answers.py" . heads billing@head add_ a1b2 >want.json
	rg heads --format json >heads.json
	rg history --format json >history.json
	rg show billing@head --format json >t1.json
	rg show add_ --format json >t2.json
	rg show a1b2 --format json >t3.json
	run /usr/bin/python3 "$ROOT/tests/alembic/compare_layout.py" want.json heads.json history.json \
		billing@head=t1.json add_=t2.json a1b2=t3.json
	echo "$output"
	[ "$status" -eq 0 ]
	run rg history
	[[ "${lines[0]}" == "add_users_0002, c3 -> d4 (billing) (head) (mergepoint), merge users and billing" ]]
	run rg show add_users_0002
	[[ "$output" == *"add email to users"* ]]
}

@test "several version locations and a recursive versions directory are read" {
	mkdir -p alembic/versions/2024 other
	printf '[alembic]\nscript_location = %%(here)s/alembic\nversion_locations = %%(here)s/alembic/versions:%%(here)s/other\nversion_path_separator = os\nrecursive_version_locations = true\n' >alembic.ini
	py 2024/one.py <<'EOF'
revision = "one"
down_revision = None
EOF
	cat >other/two.py <<'EOF'
revision = "two"
down_revision = "one"
EOF
	run rg history
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "one -> two (head), " ] || [ "${lines[0]}" = "one -> two (head)" ]
	run rg show two --format json
	[[ "$output" == *'"file": "other/two.py"'* ]]
	run rg show one --format json
	[[ "$output" == *'"file": "alembic/versions/2024/one.py"'* ]]
}

@test "a value that is not a literal is a finding on its line, and the file stays out of the graph" {
	py a_ok.py <<'EOF'
revision = "a"
down_revision = None
EOF
	py b_computed.py <<'EOF'
PARENT = "a"
revision = "b"

down_revision = PARENT
EOF
	py c_fstring.py <<'EOF'
revision = f"c{1}"
down_revision = "a"
EOF
	py d_none.py <<'EOF'
"""a helper module that is no revision"""
def helper():
    return 1
EOF
	run rg lint
	[ "$status" -eq 1 ]
	[[ "$output" == *"alembic/versions/b_computed.py:4:1: error[unreadable-revision]: 'down_revision' is not a literal"* ]]
	[[ "$output" == *"alembic/versions/c_fstring.py:1:1: error[unreadable-revision]: 'revision' is not a literal"* ]]
	[[ "$output" == *"alembic/versions/d_none.py:1:1: error[missing-header-key]: no 'revision = ...' assignment"* ]]
	heads=$(rg heads 2>/dev/null || true)
	[ "$heads" = "a (head)" ]
}

@test "lint judges Alembic's offline SQL and places each finding at the op call" {
	py a1_users.py <<'EOF'
"""users"""
from alembic import op
import sqlalchemy as sa

revision = "a1"
down_revision = None


def upgrade():
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), primary_key=True),
    )


def downgrade():
    op.drop_table("users")
EOF
	py b2_email.py <<'EOF'
"""email"""
from alembic import op
import sqlalchemy as sa

revision = "b2"
down_revision = "a1"


def upgrade():
    op.add_column("users", sa.Column("email", sa.Text(), nullable=False))
    with op.get_context().autocommit_block():
        op.create_index("users_email", "users", ["email"], postgresql_concurrently=True)


def downgrade():
    op.drop_index("users_email", table_name="users")
    op.execute("UPDATE users SET email = NULL")
    op.drop_column("users", "email")
EOF
	run rg lint
	[ "$status" -eq 1 ]
	[[ "$output" == *"alembic/versions/b2_email.py:10:5: error[adding-required-field]"*"(statement: ALTER TABLE users ADD COLUMN email TEXT NOT NULL)"* ]]
	[[ "$output" == *"    10 |     op.add_column("* ]]
	[[ "$output" == *"alembic/versions/b2_email.py:17:5: info[update-without-where]"*"(statement: UPDATE users SET email = NULL)"* ]]
	# the autocommit block is no hand-made transaction, and CONCURRENTLY runs alone
	[[ "$output" != *"transaction-nesting"* ]]
	[[ "$output" != *"ban-concurrent-index-creation-in-transaction"* ]]
	[[ "$output" != *"alembic-sql-unavailable"* ]]
	# a second run reads the cache: no Alembic needed
	printf '[revgate]\nlayout = alembic\n\n[alembic]\ncommand = /bin/false\n' >revgate.ini
	run rg lint
	[ "$status" -eq 1 ]
	[[ "$output" == *"b2_email.py:10:5: error[adding-required-field]"* ]]
	[[ "$output" != *"alembic-sql-unavailable"* ]]
	# a changed file is not in the cache: Alembic must run, and cannot
	sed -i 's/"email"/"mail"/g' alembic/versions/b2_email.py
	run rg lint
	[[ "$output" == *"warning[alembic-sql-unavailable]: the SQL of some revisions could not be linted: '/bin/false -c alembic.ini upgrade heads --sql'"* ]]
}

@test "an env.py that fails offline is said once, with its error, and the graph checks still run" {
	printf 'raise RuntimeError("env.py needs the database")\n' >alembic/env.py
	py a_one.py <<'EOF'
revision = "a"
down_revision = None
def upgrade(): pass
def downgrade(): pass
EOF
	py b_two.py <<'EOF'
revision = "b"
down_revision = None
def upgrade(): pass
def downgrade(): pass
EOF
	run rg lint
	[ "$status" -eq 1 ]
	[[ "$output" == *"error[multiple-heads]"* ]]
	[ "$(grep -c 'alembic-sql-unavailable' <<<"$output")" -eq 1 ]
	[[ "$output" == *"RuntimeError: env.py needs the database"* ]]
	# only the missing SQL: not an error unless revgate.ini says so
	rm alembic/versions/b_two.py
	run rg lint
	[ "$status" -eq 0 ]
	printf '\n[rules]\nalembic-sql-unavailable = error\n' >>revgate.ini
	run rg lint
	[ "$status" -eq 1 ]
}

@test "a revision that fails offline is named, and the ones after it are still linted" {
	py a.py <<'EOF'
from alembic import op
revision = "a"
down_revision = None
def upgrade():
    op.execute("CREATE TABLE t (id bigint)")
def downgrade():
    raise NotImplementedError("no way back")
EOF
	py b.py <<'EOF'
from alembic import op
revision = "b"
down_revision = "a"
def upgrade():
    rows = op.get_bind().execute("SELECT 1").fetchall()
def downgrade():
    pass
EOF
	py c.py <<'EOF'
from alembic import op
revision = "c"
down_revision = "b"
def upgrade():
    op.execute("CREATE INDEX t_id ON t (id)")
def downgrade():
    op.execute("DROP INDEX t_id")
EOF
	run rg lint
	[ "$status" -eq 1 ]
	[ "$(grep -c 'alembic-sql-unavailable' <<<"$output")" -eq 1 ]
	# c comes after the failing b, and is judged all the same
	[[ "$output" == *"alembic/versions/c.py:5:5: error[require-concurrent-index-creation]"* ]]
	# a's downgrade raises: not a missing downgrade, as Alembic cannot say
	[[ "$output" != *"a.py"*"missing-downgrade"* ]]
}

@test "statements are placed at the call that wrote them: a connection's execute, bare op imports, bulk_insert, an empty downgrade" {
	py a1_users.py <<'EOF'
"""users"""
from alembic import op
from alembic.op import create_table
import sqlalchemy as sa

revision = "a1"
down_revision = None


def upgrade():
    macros = create_table("users", sa.Column("id", sa.Integer(), primary_key=True),
                          sa.Column("key", sa.String(64)))
    op.bulk_insert(macros, [{"id": 1, "key": "users"}, {"id": 2, "key": "users"},
                            {"id": 3, "key": "users"}])
    op.add_column("accounts", sa.Column("flag", sa.Boolean()))
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE accounts SET flag = false"))


def downgrade():
    pass
EOF
	run rg lint
	[[ "$output" == *"alembic/versions/a1_users.py:11:5: warning[prefer-bigint-over-int]"* ]]
	[[ "$output" == *"alembic/versions/a1_users.py:17:5: info[update-without-where]"* ]]
	[[ "$output" == *"alembic/versions/a1_users.py:17:5: warning[statements-after-access-exclusive]"*"taken on line 15"* ]]
	[[ "$output" == *"alembic/versions/a1_users.py:20:1: warning[missing-downgrade]"* ]]
}

@test "a revision Alembic cannot write offline is remembered: the next lint runs no Alembic" {
	py a.py <<'EOF'
from alembic import op
revision = "a"
down_revision = None
def upgrade():
    op.get_bind().execute("SELECT 1").fetchall()
def downgrade():
    pass
EOF
	run rg lint
	[[ "$output" == *"alembic-sql-unavailable"* ]]
	printf '[revgate]\nlayout = alembic\n\n[alembic]\ncommand = /bin/false\n' >revgate.ini
	run rg lint
	[[ "$output" == *"warning[alembic-sql-unavailable]"* ]]
	[[ "$output" != *"/bin/false"* ]]
}

@test "alembic.ini as Python reads it: long lines, values over several lines, path_separator" {
	mkdir -p more
	{
		printf '[alembic]\n# %s\n' "$(head -c 300 /dev/zero | tr '\0' 'x')"
		printf 'script_location = %%(here)s/alembic\n'
		printf 'version_locations =\n    %%(here)s/alembic/versions\n    %%(here)s/more\n'
		printf 'path_separator = newline\n'
	} >alembic.ini
	py a1.py <<'EOF'
revision = "a1"
down_revision = None
EOF
	printf 'revision = "b2"\ndown_revision = "a1"\n' >more/b2.py
	run rg history
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "a1 -> b2 (head), " ] || [ "${lines[0]}" = "a1 -> b2 (head)" ]
}

@test "a computed branch_labels is a warning, and the revision keeps its place" {
	py a1.py <<'EOF'
import cli
revision = "a1"
down_revision = None
branch_labels = (cli.CONTRACT_BRANCH,)
EOF
	py b2.py <<'EOF'
revision = "b2"
down_revision = "a1"
EOF
	run rg history
	[ "$status" -eq 0 ]
	[[ "$output" == *"alembic/versions/a1.py:4:1: warning[unreadable-revision]: 'branch_labels' is not a literal"* ]]
	[[ "$output" == *"a1 -> b2 (head)"* ]]
}

@test "revgate merge writes a merge revision from script.py.mako that Alembic loads" {
	quirky_history
	py e5_side.py <<'EOF'
revision = "e5"
down_revision = "d4"
def upgrade(): pass
def downgrade(): pass
EOF
	py f6_other.py <<'EOF'
revision = "f6"
down_revision = "d4"
def upgrade(): pass
def downgrade(): pass
EOF
	run rg merge -m "join e5 and f6"
	[ "$status" -eq 0 ]
	file=$(ls alembic/versions/*_join_e5_and_f6.py)
	grep -q "^down_revision: Union\[str, None\] = ('e5', 'f6')$" "$file"
	grep -q '^Revises: e5, f6$' "$file"
	! grep -q '## a comment' "$file"
	run $ALEMBIC heads
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == *"(head)"* ]]
	run rg heads
	[ "${#lines[@]}" -eq 1 ]
}

@test "file_template names the merge revision; a template beyond Alembic's expressions falls back to the default" {
	printf '[alembic]\nscript_location = %%(here)s/alembic\nfile_template = %%%%(year)d_%%%%(month).2d_%%%%(day).2d-%%%%(rev)s_%%%%(slug)s\n' >alembic.ini
	printf '%% if True:\n"""${message}"""\n%% endif\n' >alembic/script.py.mako
	py a.py <<'EOF'
revision = "a"
down_revision = None
EOF
	py b.py <<'EOF'
revision = "b"
down_revision = None
EOF
	export REVGATE_NOW=1767225600
	run rg merge -m "Join the two!"
	[ "$status" -eq 0 ]
	[[ "$output" == *"alembic/versions/2026_01_0"?"-"*"_join_the_two.py"* ]]
	run $ALEMBIC heads
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
}

@test "revgate rebase rewrites down_revision in the .py, and Alembic loads the result" {
	py a.py <<'EOF'
revision = "a"
down_revision = None
EOF
	git add -A && git commit -qm base
	git checkout -qb feature
	py c.py <<'EOF'
"""feature

Revision ID: c
Revises: a
Create Date: 2024-01-01 00:00:00

"""
from typing import Union
revision: str = "c"
down_revision: Union[str, None] = 'a'  # written by alembic
EOF
	git add -A && git commit -qm feature
	git checkout -q main
	py b.py <<'EOF'
revision = "b"
down_revision = "a"
EOF
	git add -A && git commit -qm main
	git checkout -q feature
	run rg lint --base main
	[ "$status" -eq 1 ]
	[[ "$output" == *"error[heads-after-merge]: merging main will leave 2 heads"* ]]
	run rg rebase --onto main
	[ "$status" -eq 0 ]
	grep -q "^down_revision: Union\[str, None\] = 'b'  # written by alembic$" alembic/versions/c.py
	grep -q '^Revises: b$' alembic/versions/c.py
	git add -A && git commit -qm rebased && git merge -q main -m merge
	run $ALEMBIC heads
	[ "$status" -eq 0 ]
	[ "$output" = "c (head)" ]
}

@test "the git guard: comments and the docstring of an applied .py are cosmetic, code is an edit" {
	quirky_history
	git add -A && git commit -qm base
	sed -i 's/^"""initial schema/"""initial schema, reworded/; s/^# revision identifiers.*/# ids/' \
		alembic/versions/0001_initial.py
	run rg lint --staged
	[ "$status" -eq 0 ]
	git add -A
	run rg lint --staged
	[ "$status" -eq 0 ]
	[[ "$output" == *"alembic/versions/0001_initial.py:1:"*"warning[applied-revision-cosmetic-edit]"* ]]
	sed -i 's/primary_key=True/primary_key=False/' alembic/versions/0001_initial.py
	git add -A
	run rg lint --staged
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"alembic/versions/0001_initial.py:19:75: error[applied-revision-edited]: applied revision 'a1b2c3d4e5f6' changed in meaning since main"* ]]
}

@test "sibling-conflict: two branches' revisions on one table, the base's SQL known from the cache" {
	py a1.py <<'EOF'
from alembic import op
import sqlalchemy as sa
revision = "a1"
down_revision = None
def upgrade():
    op.create_table("users", sa.Column("id", sa.BigInteger(), primary_key=True))
def downgrade():
    op.drop_table("users")
EOF
	git add -A && git commit -qm base
	git checkout -qb feature
	py f1.py <<'EOF'
from alembic import op
import sqlalchemy as sa
revision = "f1"
down_revision = "a1"
def upgrade():
    op.add_column("users", sa.Column("nick", sa.Text()))
def downgrade():
    op.drop_column("users", "nick")
EOF
	git add -A && git commit -qm feature
	git checkout -q main
	py m1.py <<'EOF'
from alembic import op
import sqlalchemy as sa
revision = "m1"
down_revision = "a1"
def upgrade():
    op.add_column("users", sa.Column("email", sa.Text()))
def downgrade():
    op.drop_column("users", "email")
EOF
	git add -A && git commit -qm main
	rg lint >/dev/null 2>&1 || true # main's revisions get their SQL once
	git checkout -q feature
	run rg lint --base main
	[ "$status" -eq 1 ]
	[[ "$output" == *"alembic/versions/f1.py:6:5: warning[sibling-conflict]: 'f1' (this branch) and 'm1' (added on main since the branches split) both touch table users"* ]]
	[[ "$output" == *"error[heads-after-merge]"* ]]
}

@test "upgrade on an Alembic layout points at Alembic and import" {
	run rg upgrade --url postgresql:///none
	[ "$status" -eq 2 ]
	[[ "$output" == *"apply them with Alembic, or convert them with 'revgate import alembic DIR'"* ]]
}
