#!/usr/bin/python3
"""Generate the revision-graph fixtures under tests/fixtures/graphs/.

Alembic is the reference: every answer in an ``expected.json`` is computed by
running Alembic (Debian's python3-alembic 1.8.1) on the same graph that the
``migrations/`` directory next to it describes in revgate's format.  Nothing
in ``expected.json`` is written by hand.

Run:  /usr/bin/python3 tests/alembic/make_fixtures.py
      (re-runnable; produces byte-identical output; --check compares the
      committed fixtures with a fresh run and exits 1 on any difference)

Fixture layout
==============

    tests/fixtures/graphs/<case>/migrations/YYYYMMDD_HHMM_<revision>_<slug>.sql
    tests/fixtures/graphs/<case>/expected.json

Revision order
--------------
revgate orders revisions by file name; the Alembic side is given exactly
the same order.  Alembic 1.8.1's ScriptDirectory takes revisions in
``os.listdir()`` order (not sorted), and the insertion order of
``RevisionMap._revision_map`` is what breaks ties in ``_topological_sort``
(history order, upgrade order of siblings) and orders ``heads``/``bases``.
So this script does not load Python files: it builds the RevisionMap from a
generator that yields the revisions sorted by file name, and installs it in a
ScriptDirectory so that ScriptDirectory._upgrade_revs/_downgrade_revs/
walk_revisions run unchanged.  PYTHONHASHSEED is pinned to 0 because Alembic
iterates string sets in a few places (normalized dependencies).

expected.json (valid graphs)
----------------------------
All ids are revision ids (strings); all lists are ordered as Alembic orders
them unless said otherwise.

  "case", "description"     name and what the case exercises
  "alembic_version"         "1.8.1"
  "revisions"               the input, in file-name order: objects with
                            "revision", "file", "down_revisions" (array),
                            "depends_on" (array), "branch_labels" (array),
                            "message"
  "heads"                   ScriptDirectory.get_heads(): what `alembic heads`
                            prints, in that order
  "heads_resolve_dependencies"
                            `alembic heads --resolve-dependencies` (heads that
                            no revision depends on either)
  "bases"                   get_bases()
  "branch_points"           revisions with more than one child (down_revision
                            only), in file-name order
  "merge_points"            revisions with more than one parent, file-name order
  "history"                 `alembic history`: walk_revisions("base","heads"),
                            newest first
  "branches"                `alembic branches`: objects {"revision",
                            "children"} for each branch point, in history
                            order; children sorted (Alembic prints them in
                            set order)
  "history_ranges"          object: "A:B" -> ids, `alembic history -r A:B`
  "targets"                 object: target string -> array of ids, or an
                            error object (below).  Targets are resolved
                            independently of any database state, the way
                            `alembic upgrade TARGET` resolves them
                            (_parse_upgrade_target); a target with a
                            "-N" suffix the way `alembic downgrade TARGET`
                            does (_parse_downgrade_target).  "base" and a
                            walk that ends below the roots resolve to [].
                            For a target without +N/-N this is also what
                            `alembic show TARGET` prints (get_revisions).
  "targets_short_prefix"    the same for prefixes shorter than 4 characters:
                            Alembic resolves them when they are unique (it
                            only requires the *candidate* id to be longer
                            than 3 characters); DESIGN.md asks for 4+.
  "upgrade"                 array of objects:
                              "from"  current heads (version table rows), in
                                      the order given to Alembic; [] = empty db
                              "to"    the target string as typed on the
                                      command line (`upgrade TO`)
                            and then either
                              "steps"       ids in apply order
                                            (ScriptDirectory._upgrade_revs)
                              "step_kinds"  per step, the version-table
                                            effect (HeadMaintainer):
                                            "insert" (new branch row),
                                            "update", "merge" (rows of the
                                            merged parents collapse into one),
                                            "unmerge", "delete"
                              "heads_after_each"  per step, the version table
                                            rows after it (sorted)
                              "heads_after" rows after the last step (sorted;
                                            equals "from" sorted if no steps)
                              "merges"      the steps that are merge revisions
                            or
                              "error"       short kind (below), plus
                              "exception", "message", maybe "candidates"
                            and "warnings" (array of strings) when Alembic
                            warned.
  "downgrade"               the same with ScriptDirectory._downgrade_revs
                            (`downgrade TO`); "steps" in revert order.
  "errors"                  [] for a valid graph
  "warnings"                warnings Alembic gave while loading ([] normally)

Error objects: {"error": KIND, "exception": CLASS, "message": TEXT} where
CLASS is the Alembic exception (the cause of a CommandError), TEXT its
message, and KIND one of
  ambiguous              prefix matches several ids; adds "candidates" (all
                         ids/labels that start with the prefix, map order)
  not-found              no revision or branch with that id/prefix
  no-such-branch         unknown branch label in label@...
  not-member-of-branch   label@rev where rev is not on that branch
  multiple-heads         "head" (or label@head) names several heads; adds
                         "candidates" (the heads)
  ambiguous-walk         a relative walk reaches a branch or merge point
  ambiguous-upgrade      "+N" while the database has several heads
  relative-out-of-range  a relative walk runs past base or head (for an
                         upgrade to <id>+N past the head Alembic itself
                         fails with an AssertionError; "exception" says so)
  not-ancestor           target is not reachable from the current heads
  invalid-downgrade-target
  cycle, dependency-cycle, self-loop, dependency-self-loop,
  missing-parent, missing-dependency, duplicate-revision, duplicate-label
  assertion              Alembic failed an internal assert (its message)

expected.json (invalid graphs; case names start with "invalid_")
----------------------------------------------------------------
  "case", "description", "alembic_version", "revisions" as above, and
  "invalid"          the error kind revgate must report for this graph (the
                     case's intent; checked against Alembic's first error
                     unless Alembic misses it)
  "alembic_detects"  false when Alembic 1.8.1 accepts the graph anyway
                     (invalid_cycle_through_merge); then "errors" is [] and
                     "alembic_history" shows what Alembic walks instead
  "errors"           array of error objects from Alembic, each with an extra
                     "stage": "load" (the revision map could not be built),
                     "history" (built, but walking it failed), or "warning"
                     (Alembic only warned: duplicate ids)
  "warnings"         what Alembic warned while loading
"""

import json
import os
import random
import re
import shutil
import sys
import tempfile
import traceback
import types
import warnings

if (os.environ.get("PYTHONHASHSEED") != "0"
        and not os.environ.get("MAKE_FIXTURES_ANY_SEED")):
    env = dict(os.environ, PYTHONHASHSEED="0")
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import alembic  # noqa: E402
from alembic import util as alembic_util  # noqa: E402
from alembic.runtime.migration import HeadMaintainer  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402
from alembic.script import revision as rv  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "tests", "fixtures", "graphs")


# ---------------------------------------------------------------------------
# case definitions
# ---------------------------------------------------------------------------

class R:
    """One revision file: timestamp (YYYYMMDD_HHMM), id, parents, message."""

    def __init__(self, ts, rid, parents, message, depends=(), labels=()):
        self.ts = ts
        self.id = rid
        self.parents = tuple(parents)
        self.message = message
        self.depends = tuple(depends)
        self.labels = tuple(labels)

    @property
    def slug(self):
        s = re.sub(r"[^a-z0-9]+", "_", self.message.lower()).strip("_")
        return s[:40].rstrip("_")

    @property
    def file(self):
        return "%s_%s_%s.sql" % (self.ts, self.id, self.slug)

    @property
    def created(self):
        d, t = self.ts.split("_")
        return "%s-%s-%sT%s:%s:00Z" % (d[0:4], d[4:6], d[6:8], t[0:2], t[2:4])


def up(frm, to):
    return (tuple(frm), to)


CASES = []


def case(name, description, revs, targets=(), short=(), upgrades=(),
         downgrades=(), ranges=(), invalid=None, alembic_misses=False):
    """invalid: for an invalid graph, the error kind revgate must report;
    alembic_misses: Alembic 1.8.1 accepts that graph (checked)."""
    CASES.append(dict(name=name, description=description, revs=revs,
                      targets=list(targets), short=list(short),
                      upgrades=list(upgrades), downgrades=list(downgrades),
                      ranges=list(ranges), invalid=invalid,
                      alembic_misses=alembic_misses))


# linear ---------------------------------------------------------------------
L1, L2, L3, L4, L5, L6 = ("ae1027a6acf0", "ae10f3b2c4d1", "1975ea83b712",
                          "27c6a30d7c24", "27c6b1e0f9a3", "3cf9e1a2b4d5")
case(
    "linear",
    "six revisions in a line; ids share prefixes (ae10, 27c6)",
    [
        R("20250103_0900", L1, [], "create clients"),
        R("20250103_0915", L2, [L1], "create sessions"),
        R("20250104_1000", L3, [L2], "create messages"),
        R("20250105_1100", L4, [L3], "add law sources"),
        R("20250105_1130", L5, [L4], "add knowledge sources"),
        R("20250106_0800", L6, [L5], "tax rule config"),
    ],
    targets=["head", "heads", "base", L1, L2, L3, L4, L5, L6,
             "ae10", "ae102", "ae10f", "1975", "27c6", "27c6b", "3cf9e1a2",
             "ffff0000", "zzzz", L1 + "0",
             "head-1", "head-2", "head-5", "head-6", "head-7",
             "base+1", "base+2", "base+6", "base+7",
             L2 + "+1", L2 + "+2", L2 + "+4", L2 + "+5",
             L4 + "-1", L4 + "-2", L1 + "-1", L1 + "-2",
             "1975+2", "ae10+1", "ae10f-1"],
    short=["ae1", "19", "3c", "2", "zz"],
    upgrades=[
        up([], "head"), up([], "heads"), up([], "+1"), up([], "+2"),
        up([], L2), up([], "ae10f"), up([L2], "head"), up([L2], "+2"),
        up([L2], L3 + "+2"), up([L6], "head"), up([L5], L2),
        up([], "ffff0000"), up([], "27c6"), up([L5], "+2"), up([L5], "+3"),
        up([L3], "-1"), up([L3], "head-1"), up([], L2 + "+5"),
        up([], "base+7"),
    ],
    downgrades=[
        up([L6], "base"), up([L6], "-1"), up([L6], "-2"), up([L6], L3),
        up([L6], "1975"), up([L3], L5), up([], "-1"), up([L6], "+1"),
        up([L6], "head-2"), up([L6], "-6"), up([L6], "-7"), up([L3], "base"),
        up([L6], L6), up([L6], "27c6"),
    ],
    ranges=["base:" + L3, L3 + ":heads", L2 + ":" + L5, L5 + ":" + L2],
)

# branch_merge ---------------------------------------------------------------
B0, B1, A1, BB, A2, A3, BM, BT = (
    "4f2a9c1d0e7b", "8c3e5a7f9b21", "a3c91e4d5f60", "b7d2e8f1a9c3",
    "a3c9f0b2d8e1", "a47e2c6b1d05", "e5f6a7b8c9d0", "f1e2d3c4b5a6")
case(
    "branch_merge",
    "branch point with a 3-revision and a 1-revision branch, merged, then "
    "one more revision; file names interleave the two branches",
    [
        R("20250110_0900", B0, [], "initial schema"),
        R("20250110_0930", B1, [B0], "add sessions"),
        R("20250111_1000", A1, [B1], "add messages"),
        R("20250111_1030", BB, [B1], "add law sources"),
        R("20250111_1100", A2, [A1], "messages role check"),
        R("20250112_0900", A3, [A2], "messages index"),
        R("20250112_1000", BM, [A3, BB], "merge messages and law sources"),
        R("20250113_0900", BT, [BM], "tax rule config"),
    ],
    targets=["head", "heads", "base", B0, B1, A1, BB, A2, A3, BM, BT,
             "a3c9", "a3c91", "a3c9f", "b7d2", "a47e",
             "head-1", "head-2", BM + "-1", B1 + "+1", A1 + "+2", A1 + "+3",
             A1 + "+4", BB + "+1", BB + "-1", BB + "-2", "base+2",
             "base+3"],
    upgrades=[
        up([], "head"), up([], "heads"), up([B1], "head"),
        up([A2, BB], "head"), up([BB, A2], "head"), up([A3], "head"),
        up([BB], A3), up([B1], BB), up([B1], "+1"), up([A1], "+2"),
        up([A3, BB], "+1"), up([A3, BB], BM), up([], "+2"), up([], "+3"),
        up([A1], BB),
    ],
    downgrades=[
        up([BT], "base"), up([BM], A3), up([BM], BB), up([BM], B1),
        up([BT], "-1"), up([BT], "-2"), up([BM], "-1"), up([A3, BB], "-1"),
        up([BB, A3], "-1"), up([A3, BB], B1), up([A3, BB], A1),
        up([A3, BB], BB + "-1"), up([BB], A3), up([BT], A2), up([BT], B0),
    ],
    ranges=[B1 + ":" + BM, "base:" + BB, BB + ":heads", A1 + ":" + BT],
)

# several_merges -------------------------------------------------------------
S0, S1, Z1, X1, Y1, X2, Z2, M1, Z3, M2, T1 = (
    "0b1c2d3e4f5a", "1a2b3c4d5e6f", "9e8d7c6b5a41", "3d4e5f6a7b8c",
    "7f6e5d4c3b2a", "3d4e9a8b7c6d", "9e8d1f2e3d4c", "c1d2e3f4a5b6",
    "9e8da0b1c2d3", "d4c3b2a1f0e9", "e0f1a2b3c4d5")
case(
    "several_merges",
    "three branches (x, y from one branch point, z from the root) merging at "
    "different points; the second merge merges the first merge",
    [
        R("20250120_0900", S0, [], "initial"),
        R("20250120_1000", S1, [S0], "users"),
        R("20250120_1030", Z1, [S0], "audit log"),
        R("20250121_0900", X1, [S1], "orders"),
        R("20250121_0930", Y1, [S1], "invoices"),
        R("20250121_1000", X2, [X1], "order items"),
        R("20250121_1100", Z2, [Z1], "audit index"),
        R("20250122_0900", M1, [Y1, X2], "merge orders and invoices"),
        R("20250122_1000", Z3, [Z2], "audit retention"),
        R("20250123_0900", M2, [M1, Z3], "merge audit"),
        R("20250123_1000", T1, [M2], "payments"),
    ],
    targets=["head", "heads", "base", S0, S1, Z1, X1, Y1, X2, Z2, M1, Z3,
             M2, T1, "9e8d", "9e8da", "9e8d1", "3d4e", "3d4e9", "c1d2",
             M2 + "-1", "head-1", "head-2", M1 + "+1", Z1 + "+2", Z1 + "+3",
             X1 + "+2", Y1 + "+1", S0 + "+1", "base+1"],
    upgrades=[
        up([], "head"), up([S0], "head"), up([X2, Y1, Z2], "head"),
        up([M1], "head"), up([M1, Z3], "+1"), up([X1, Z1], M1),
        up([Y1], M1), up([], Z3), up([Z3], "head"), up([Z3], M1),
        up([M1, Z3], M2), up([X1, Y1], "+1"), up([S1], X2),
    ],
    downgrades=[
        up([T1], "base"), up([T1], M1), up([T1], S1), up([M2], "-1"),
        up([T1], Z2), up([M1, Z3], S0), up([M1, Z3], Z1), up([T1], X1),
        up([M1, Z3], "-1"), up([T1], S0),
    ],
    ranges=["base:" + M1, M1 + ":heads", Z1 + ":" + M2, X1 + ":" + M2],
)

# diamond_of_merges ----------------------------------------------------------
case(
    "diamond_of_merges",
    "nested diamonds: root splits into left/right, left splits again and "
    "merges (inner), inner merges with right (outer); a second diamond "
    "after the tail. Readable ids sharing the prefix dia_",
    [
        R("20250201_0900", "dia_root", [], "root"),
        R("20250201_1000", "dia_right", ["dia_root"], "right branch"),
        R("20250201_1100", "dia_left", ["dia_root"], "left branch"),
        R("20250202_0900", "dia_left_b", ["dia_left"], "left b"),
        R("20250202_1000", "dia_left_a", ["dia_left"], "left a"),
        R("20250203_0900", "dia_inner_merge", ["dia_left_a", "dia_left_b"],
          "inner merge"),
        R("20250204_0900", "dia_outer_merge", ["dia_inner_merge",
                                               "dia_right"], "outer merge"),
        R("20250205_0900", "dia_tail", ["dia_outer_merge"], "tail"),
        R("20250205_1000", "dia_tail_y", ["dia_tail"], "tail y"),
        R("20250205_1100", "dia_tail_x", ["dia_tail"], "tail x"),
        R("20250206_0900", "dia_final_merge", ["dia_tail_x", "dia_tail_y"],
          "final merge"),
    ],
    targets=["head", "heads", "base", "dia_root", "dia_left_a",
             "dia_tail", "dia_", "dia_l", "dia_left", "dia_left_", "dia_t",
             "dia_tail_", "dia_o", "dia_i", "dia_f", "dia_r", "dia_ri",
             "head-1", "head-2", "dia_outer_merge-1", "dia_left_b+1",
             "dia_left_b+2", "dia_right+1", "dia_right+3", "dia_tail+1",
             "dia_tail-2", "dia_root+1"],
    short=["dia", "di"],
    upgrades=[
        up([], "head"), up(["dia_left_a"], "head"),
        up(["dia_left_a", "dia_right"], "head"),
        up(["dia_right"], "dia_inner_merge"), up(["dia_tail_x"], "head"),
        up(["dia_tail"], "+1"), up(["dia_left_b", "dia_right"], "+1"),
        up(["dia_inner_merge"], "+1"), up(["dia_left"], "dia_outer_merge"),
        up([], "dia_tail_x"),
    ],
    downgrades=[
        up(["dia_final_merge"], "base"), up(["dia_final_merge"], "dia_tail"),
        up(["dia_final_merge"], "dia_tail_x"),
        up(["dia_final_merge"], "dia_inner_merge"),
        up(["dia_final_merge"], "dia_left"),
        up(["dia_outer_merge"], "dia_right"),
        up(["dia_outer_merge"], "-1"),
        up(["dia_tail_x", "dia_tail_y"], "dia_root"),
        up(["dia_final_merge"], "dia_t"),
    ],
    ranges=["base:dia_inner_merge", "dia_left:dia_outer_merge",
            "dia_tail:heads"],
)

# dependencies ---------------------------------------------------------------
D0, C1, BL1, C2, BL2, C3, BL3 = (
    "0c0ffee0a1b2", "c0de0a1b2c3d", "b111a0c1d2e3", "c0de4e5f6a7b",
    "b1114f5e6d7c", "c0de8c9d0e1f", "b111b2c3d4e5")
case(
    "dependencies",
    "two labelled branches (core, billing) from one base, with depends_on "
    "across them; two heads, each with its own branch label",
    [
        R("20250301_0900", D0, [], "shared base"),
        R("20250301_0910", C1, [D0], "core clients", labels=["core"]),
        R("20250301_0920", BL1, [D0], "billing invoices",
          labels=["billing"]),
        R("20250301_0930", C2, [C1], "core sessions"),
        R("20250301_0940", BL2, [BL1], "billing invoice per session",
          depends=[C2]),
        R("20250301_0950", C3, [C2], "core link clients to invoices",
          depends=[BL1]),
        R("20250301_1000", BL3, [BL2], "billing payments",
          depends=[C3, C2]),
    ],
    targets=["head", "heads", "base", D0, C1, BL1, C2, BL2, C3, BL3,
             "core@head", "billing@head", "core@base", "billing@base",
             "core@heads", "core@c0de", "core@c0de4", "billing@" + C2,
             "nosuch@head", "core", "billing", "bill", "c0de", "b111", "b1114",
             "core@" + C1 + "+1", "billing@" + BL1 + "+1", "core@head-1",
             "billing@head-2", "head-1", C1 + "+1", D0 + "+1"],
    short=["cor"],
    upgrades=[
        up([], "core@head"), up([], "billing@head"), up([], "heads"),
        up([], "head"), up([C2], "billing@head"), up([], "core@+2"),
        up([C1, BL1], "core@+1"), up([C1, BL1], "billing@+1"),
        up([C1, BL1], "+1"), up([], "billing@" + BL2), up([C3], "heads"),
        up([D0], "billing@+1"), up([], C3),
    ],
    downgrades=[
        up([C3, BL3], "base"), up([BL3], "base"), up([C3, BL3], "core@base"),
        up([C3, BL3], "billing@base"), up([C3, BL3], BL1),
        up([C3, BL3], C1), up([C3, BL3], "core@-1"),
        up([C3, BL3], "billing@-1"), up([C3, BL3], "-1"), up([BL3], C2),
        up([BL3], "-1"), up([BL3], D0),
    ],
    ranges=["base:" + C3, C2 + ":heads", "base:core@head"],
)

# multiple_bases -------------------------------------------------------------
case(
    "multiple_bases",
    "two roots (users, billing) merged later; readable ids",
    [
        R("20250401_0900", "users_base", [], "users base"),
        R("20250401_0930", "billing_base", [], "billing base"),
        R("20250402_0900", "users_email", ["users_base"], "users email"),
        R("20250402_0930", "billing_plans", ["billing_base"],
          "billing plans"),
        R("20250403_0900", "merge_users_billing",
          ["users_email", "billing_plans"], "merge users and billing"),
        R("20250404_0900", "audit_trail", ["merge_users_billing"],
          "audit trail"),
    ],
    targets=["head", "heads", "base", "users_base", "billing_base",
             "users", "users_b", "bill", "billing_p", "merg", "base+1",
             "users_base+1", "users_base+2", "billing_plans-1",
             "billing_plans-2", "billing_plans-3", "merge_users_billing-1",
             "head-1", "head-2"],
    upgrades=[
        up([], "head"), up([], "+1"), up([], "users_email"),
        up(["users_email"], "head"), up(["users_email"], "billing_plans"),
        up(["users_email", "billing_plans"], "+1"),
        up(["users_email", "billing_plans"], "head"),
        up(["billing_base"], "+1"),
    ],
    downgrades=[
        up(["audit_trail"], "base"),
        up(["merge_users_billing"], "users_email"),
        up(["audit_trail"], "users_base"),
        up(["users_email", "billing_plans"], "base"),
        up(["users_email", "billing_plans"], "billing_base"),
        up(["merge_users_billing"], "-1"),
        up(["audit_trail"], "-1"),
    ],
    ranges=["base:merge_users_billing", "users_email:heads"],
)

# two_heads ------------------------------------------------------------------
H0, H1, HL, HR, HL2 = ("7a1b2c3d4e5f", "7a1b9f8e7d6c", "c0ffee12ab34",
                       "c0ffee98dd01", "d00d5e6f7a8b")
case(
    "two_heads",
    "branch point with two unmerged heads of different lengths",
    [
        R("20250501_0900", H0, [], "initial"),
        R("20250501_1000", H1, [H0], "add clients"),
        R("20250502_0900", HL, [H1], "add sessions"),
        R("20250502_0930", HR, [H1], "add messages"),
        R("20250502_1000", HL2, [HL], "sessions index"),
    ],
    targets=["head", "heads", "base", H0, H1, HL, HR, HL2, "c0ff",
             "c0ffee1", "c0ffee9", "7a1b", "7a1b9", "d00d", "head-1",
             HR + "-1", HR + "-2", H1 + "+1", "d00d-2", HL + "+1",
             "base+2", "base+3"],
    upgrades=[
        up([], "heads"), up([], "head"), up([H1], HL2), up([HL2], "heads"),
        up([HL, HR], "+1"), up([HL], "+1"), up([H1], "+1"), up([], HR),
        up([HR], HL2), up([HR], "heads"), up([HL, HR], "heads"),
        up([HL2, HR], "head"),
    ],
    downgrades=[
        up([HL2, HR], "base"), up([HL2, HR], H1), up([HL2, HR], "-1"),
        up([HR, HL2], "-1"), up([HL2, HR], HL), up([HL2, HR], HR + "-1"),
        up([HL2, HR], "c0ff"), up([HL2, HR], H0), up([HL2], HR),
    ],
    ranges=["base:heads", H1 + ":heads", "base:" + HR],
)

# out_of_order_names ---------------------------------------------------------
case(
    "out_of_order_names",
    "file-name timestamps disagree with the graph: a child and a merge are "
    "named older than their parents; order must come from the parents",
    [
        R("20250601_0700", "ooo_merge", ["ooo_child_old", "ooo_child_new"],
          "merge named oldest"),
        R("20250601_0800", "ooo_child_old", ["ooo_parent"],
          "child named older than parent"),
        R("20250601_0900", "ooo_root", [], "root"),
        R("20250601_1000", "ooo_parent", ["ooo_root"], "parent"),
        R("20250601_1100", "ooo_child_new", ["ooo_parent"], "sibling"),
        R("20250601_1200", "ooo_tail", ["ooo_merge"], "tail"),
    ],
    targets=["head", "heads", "base", "ooo_c", "ooo_child_o", "head-1",
             "head-2", "ooo_parent+1", "ooo_root+1", "base+2"],
    upgrades=[
        up([], "head"), up(["ooo_parent"], "head"),
        up(["ooo_child_new"], "head"), up(["ooo_parent"], "ooo_child_new"),
        up(["ooo_child_old"], "ooo_child_new"), up([], "+2"),
    ],
    downgrades=[
        up(["ooo_tail"], "base"), up(["ooo_merge"], "ooo_parent"),
        up(["ooo_merge"], "ooo_child_new"), up(["ooo_tail"], "-1"),
        up(["ooo_child_old", "ooo_child_new"], "ooo_root"),
    ],
    ranges=["base:ooo_parent", "ooo_parent:heads"],
)


# random_dag -----------------------------------------------------------------
def _random_dag(seed=20250715):
    """40 revisions, seeded: random branches and merges, file names in
    creation order except every 7th revision, which is named older."""
    rng = random.Random(seed)
    revs = []
    open_heads = []
    for i in range(40):
        rid = "%04x%08x" % (0x5eed if i % 3 else 0x5eee, rng.getrandbits(32))
        if not revs:
            parents = []
        elif len(open_heads) > 1 and rng.random() < 0.3:
            k = 2 if len(open_heads) < 4 or rng.random() < 0.7 else 3
            parents = rng.sample(open_heads, k)
        elif rng.random() < 0.25:
            parents = [rng.choice(revs).id]
        else:
            parents = [rng.choice(open_heads)]
        minute = 10 * i if i % 7 else max(0, 10 * i - 75)
        ts = "20250701_%02d%02d" % (8 + minute // 60, minute % 60)
        r = R(ts, rid, parents, "random revision %d" % i)
        revs.append(r)
        open_heads = [h for h in open_heads if h not in parents] + [rid]
    revs.sort(key=lambda r: r.file)
    return revs


_RD = _random_dag()
_RD_IDS = [r.id for r in _RD]
case(
    "random_dag",
    "40 revisions with random branches and merges (seeded), several heads; "
    "exercises tie-breaks in history and upgrade order",
    _RD,
    targets=["heads", "base", "5eed", "5eee"] + _RD_IDS
    + [i[:6] for i in _RD_IDS] + [i + "+1" for i in _RD_IDS[:10]]
    + [i + "-1" for i in _RD_IDS[:10]],
    upgrades=[up([], "heads")] + [up([], i) for i in _RD_IDS]
    + [up([i], "heads") for i in _RD_IDS[::4]],
    downgrades=[("@heads", "base")] + [("@heads", i) for i in _RD_IDS[::3]],
    ranges=["base:" + _RD_IDS[20], _RD_IDS[5] + ":heads"],
)

# invalid graphs ---------------------------------------------------------------
case(
    "invalid_cycle",
    "two revisions that are each other's parent (detached from the root)",
    [
        R("20250801_0900", "cyc_ok0", [], "root"),
        R("20250801_1000", "cyc_ok1", ["cyc_ok0"], "child"),
        R("20250801_1100", "cyc_a", ["cyc_b"], "cycle a"),
        R("20250801_1200", "cyc_b", ["cyc_a"], "cycle b"),
    ],
    invalid="cycle",
)
case(
    "invalid_cycle_no_root",
    "every revision has a parent: a three-revision cycle and nothing else",
    [
        R("20250802_0900", "ring_a", ["ring_c"], "ring a"),
        R("20250802_1000", "ring_b", ["ring_a"], "ring b"),
        R("20250802_1100", "ring_c", ["ring_b"], "ring c"),
    ],
    invalid="cycle",
)
case(
    "invalid_cycle_through_merge",
    "a cycle that passes through a merge revision while the graph still has "
    "a root and a head; Alembic 1.8.1 does not detect it",
    [
        R("20250801_1300", "cm_root", [], "root"),
        R("20250801_1400", "cm_merge", ["cm_root", "cm_back"], "merge"),
        R("20250801_1500", "cm_mid", ["cm_merge"], "middle"),
        R("20250801_1600", "cm_back", ["cm_mid"], "back edge"),
        R("20250801_1700", "cm_head", ["cm_mid"], "head"),
    ],
    invalid="cycle",
    alembic_misses=True,
)
case(
    "invalid_self_loop",
    "a revision whose down_revision is itself",
    [
        R("20250803_0900", "self_ok", [], "root"),
        R("20250803_1000", "self_loop", ["self_loop"], "loop"),
    ],
    invalid="self-loop",
)
case(
    "invalid_missing_parent",
    "down_revision names a revision that does not exist",
    [
        R("20250804_0900", "mp_root", [], "root"),
        R("20250804_1000", "mp_child", ["mp_root"], "child"),
        R("20250804_1100", "mp_orphan", ["deadbeef0000"], "orphan"),
    ],
    invalid="missing-parent",
)
case(
    "invalid_missing_dependency",
    "depends_on names a revision that does not exist",
    [
        R("20250805_0900", "md_root", [], "root"),
        R("20250805_1000", "md_child", ["md_root"], "child",
          depends=["feedface0000"]),
    ],
    invalid="missing-dependency",
)
case(
    "invalid_dependency_cycle",
    "a revision depends on its own descendant",
    [
        R("20250806_0900", "dc_root", [], "root"),
        R("20250806_1000", "dc_one", ["dc_root"], "one", depends=["dc_two"]),
        R("20250806_1100", "dc_two", ["dc_one"], "two"),
    ],
    invalid="dependency-cycle",
)
case(
    "invalid_duplicate_id",
    "two files declare the same revision id",
    [
        R("20250807_0900", "dup_root", [], "root"),
        R("20250807_1000", "dup_same", ["dup_root"], "first copy"),
        R("20250807_1100", "dup_same", ["dup_root"], "second copy"),
    ],
    invalid="duplicate-revision",
)
case(
    "invalid_duplicate_label",
    "two revisions carry the same branch label",
    [
        R("20250808_0900", "dl_root", [], "root"),
        R("20250808_1000", "dl_one", ["dl_root"], "one", labels=["feature"]),
        R("20250808_1100", "dl_two", ["dl_root"], "two", labels=["feature"]),
    ],
    invalid="duplicate-label",
)


# ---------------------------------------------------------------------------
# running Alembic
# ---------------------------------------------------------------------------

def _noop(*a, **kw):
    return None


class FixtureRevision(rv.Revision):
    """A Revision with what RevisionStep needs (a module with upgrade and
    downgrade), built from a revgate revision file's header."""

    def __init__(self, spec):
        super().__init__(
            spec.id,
            spec.parents or None,
            dependencies=spec.depends or None,
            branch_labels=spec.labels or None,
        )
        self.module = types.SimpleNamespace(upgrade=_noop, downgrade=_noop)
        self.doc = spec.message
        self.path = spec.file


def script_directory(revs):
    """A fresh ScriptDirectory whose revision map yields revs in file-name
    order.  Fresh each time: nothing one query does can leak into another."""
    sd = ScriptDirectory(OUT)
    sd.revision_map = rv.RevisionMap(
        lambda: [FixtureRevision(r) for r in revs])
    return sd


def _cause(exc):
    if isinstance(exc, alembic_util.CommandError) and exc.__cause__:
        return exc.__cause__
    return exc


def _candidates(sd, prefix):
    # the same selection as RevisionMap._revision_for_ident's partial lookup
    return [x for x in sd.revision_map._revision_map
            if x and len(x) > 3 and x.startswith(prefix)]


def _raised_in(exc):
    tb = traceback.extract_tb(exc.__traceback__)
    return [f.name for f in tb]


def describe(exc, sd):
    c = _cause(exc)
    msg = str(c)
    if isinstance(c, rv.MultipleHeads):
        kind = "multiple-heads"
    elif isinstance(c, rv.RangeNotAncestorError):
        kind = "not-ancestor"
    elif isinstance(c, rv.ResolutionError):
        if msg.startswith("Multiple revisions start"):
            kind = "ambiguous"
        elif msg.startswith("No such branch"):
            kind = "no-such-branch"
        elif "is not a member of branch" in msg:
            kind = "not-member-of-branch"
        else:
            kind = "not-found"
    elif isinstance(c, rv.DependencyLoopDetected):
        kind = "dependency-self-loop"
    elif isinstance(c, rv.LoopDetected):
        kind = "self-loop"
    elif isinstance(c, rv.DependencyCycleDetected):
        kind = "dependency-cycle"
    elif isinstance(c, rv.CycleDetected):
        kind = "cycle"
    elif isinstance(c, rv.RevisionError):
        if msg == "Ambiguous walk":
            kind = "ambiguous-walk"
        elif msg.startswith("Ambiguous upgrade"):
            kind = "ambiguous-upgrade"
        elif "didn't produce" in msg or msg == "Walked too far":
            kind = "relative-out-of-range"
        elif msg.startswith("Branch name"):
            kind = "duplicate-label"
        elif msg.startswith("Not a valid downgrade target"):
            kind = "invalid-downgrade-target"
        else:
            kind = "revision-error"
    elif isinstance(c, KeyError):
        where = _raised_in(c)
        kind = ("missing-dependency" if "_add_depends_on" in where
                else "missing-parent")
        msg = "KeyError: %s" % (c.args[0],)
    elif isinstance(c, AssertionError):
        kind = "assertion"
        msg = msg or "AssertionError in %s" % _raised_in(c)[-1]
    else:
        kind = type(c).__name__
    out = {"error": kind, "exception": type(c).__name__, "message": msg}
    if kind == "duplicate-label":
        # Alembic walks a set of Revision objects here, so which of the two
        # revisions it names first changes from run to run
        m = re.match(r"Branch name '(.*)' in revision (\w+) already used "
                     r"by revision (\w+)$", msg)
        out["message"] = ("Branch name '%s' is used by more than one "
                          "revision" % m.group(1))
        out["revisions"] = sorted([m.group(2), m.group(3)])
    if kind == "ambiguous":
        out["candidates"] = _candidates(sd, c.argument)
    elif kind == "multiple-heads":
        out["candidates"] = list(c.heads)
    return out


def attempt(sd, fn):
    """Run fn(); return (result, error-object or None, warnings)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result, err = fn(), None
        except Exception as exc:  # noqa: BLE001 - every failure is recorded
            result, err = None, describe(exc, sd)
    return result, err, [str(w.message) for w in caught]


class RecordingHeads(HeadMaintainer):
    """HeadMaintainer without a database: keeps the set of version rows."""

    def __init__(self, heads):
        self.context = None
        self.heads = set(heads)

    def _insert_version(self, version):
        assert version not in self.heads
        self.heads.add(version)

    def _delete_version(self, version):
        self.heads.remove(version)

    def _update_version(self, from_, to_):
        assert to_ not in self.heads
        self.heads.remove(from_)
        self.heads.add(to_)

    def step_kind(self, step):
        # the branch update_to_step() is about to take, in its order
        h = self.heads
        if step.should_delete_branch(h):
            return "delete"
        if step.should_create_branch(h):
            return "insert"
        if step.should_merge_branches(h):
            return "merge"
        if step.should_unmerge_branches(h):
            return "unmerge"
        return "update"


def run_steps(sd, frm, to, downgrade):
    def go():
        if downgrade:
            steps = sd._downgrade_revs(to, tuple(frm))
        else:
            steps = sd._upgrade_revs(to, tuple(frm))
        hm = RecordingHeads(frm)
        kinds, after = [], []
        for st in steps:
            kinds.append(hm.step_kind(st))
            hm.update_to_step(st)
            after.append(sorted(hm.heads))
        return steps, kinds, after, sorted(hm.heads)

    res, err, warns = attempt(sd, go)
    entry = {"from": list(frm), "to": to}
    if err:
        if err["error"] == "assertion" and _relative.match(to):
            # `alembic upgrade <id>+N` past the last revision: _walk()
            # returns None and Alembic trips over it in is_revision()
            err["error"] = "relative-out-of-range"
        entry.update(err)
    else:
        steps, kinds, after, final = res
        entry["steps"] = [s.revision.revision for s in steps]
        entry["step_kinds"] = kinds
        entry["heads_after_each"] = after
        entry["heads_after"] = final
        entry["merges"] = [s.revision.revision for s in steps
                           if s.revision.is_merge_point]
    if warns:
        entry["warnings"] = warns
    return entry


_relative = re.compile(r"(?:(.+?)@)?(\w+)?((?:\+|-)\d+)")


def resolve_target(sd, target):
    rm = sd.revision_map

    def go():
        with sd._catch_revision_errors():
            m = _relative.match(target)
            if m and m.group(3).startswith("-"):
                _, rev = rm._parse_downgrade_target(
                    current_revisions=(), target=target,
                    assert_relative_length=True)
                revs = (rev,)
            else:
                revs = rm._parse_upgrade_target(
                    current_revisions=(), target=target,
                    assert_relative_length=True)
        if any(r is None for r in revs) and m:
            # _walk() returned None: `alembic upgrade` then fails
            return {"error": "relative-out-of-range",
                    "exception": "AssertionError",
                    "message": "relative walk %s ran past the end of the "
                               "graph" % target}
        return [r.revision for r in revs if r is not None and r != "base"]

    res, err, warns = attempt(sd, go)
    out = err if err else res
    if warns and isinstance(out, dict):
        out["warnings"] = warns
    return out


def load(sd):
    """Build the map; return (error-or-None, warnings)."""
    def go():
        sd.revision_map._revision_map
        sd.revision_map.heads
    _, err, warns = attempt(sd, go)
    return err, warns


def revision_list(revs):
    return [
        {
            "revision": r.id,
            "file": r.file,
            "down_revisions": list(r.parents),
            "depends_on": list(r.depends),
            "branch_labels": list(r.labels),
            "message": r.message,
        }
        for r in revs
    ]


def expected_for(c):
    revs = c["revs"]
    out = {
        "case": c["name"],
        "description": c["description"],
        "alembic_version": alembic.__version__,
        "revisions": revision_list(revs),
    }
    sd = script_directory(revs)
    err, warns = load(sd)

    if c["invalid"]:
        errors = []
        for w in warns:
            if "present more than once" in w:
                errors.append({"error": "duplicate-revision",
                               "exception": "UserWarning", "message": w,
                               "stage": "warning"})
        if err:
            err["stage"] = "load"
            errors.append(err)
        else:
            sd2 = script_directory(revs)
            _, herr, _ = attempt(
                sd2, lambda: list(sd2.walk_revisions("base", "heads")))
            if herr:
                herr["stage"] = "history"
                errors.append(herr)
        if c["alembic_misses"]:
            if errors:
                raise SystemExit("case %s: Alembic now detects it: %r"
                                 % (c["name"], errors))
            # record what Alembic makes of it instead
            out["alembic_history"] = [
                s.revision for s in
                script_directory(revs).walk_revisions("base", "heads")]
        elif not errors:
            raise SystemExit("case %s: Alembic accepted this graph"
                             % c["name"])
        elif errors[0]["error"] != c["invalid"]:
            raise SystemExit("case %s: Alembic reports %r, not %r"
                             % (c["name"], errors[0]["error"], c["invalid"]))
        out["invalid"] = c["invalid"]
        out["alembic_detects"] = not c["alembic_misses"]
        out["errors"] = errors
        out["warnings"] = warns
        return out

    if err:
        raise SystemExit("case %s: Alembic rejected it: %r" % (c["name"], err))
    rm = sd.revision_map
    rmap = rm._revision_map
    ordered = [rmap[r.id] for r in revs]
    out["heads"] = list(sd.get_heads())
    out["heads_resolve_dependencies"] = [
        s.revision for s in sd.get_revisions("heads")]
    out["bases"] = list(sd.get_bases())
    out["branch_points"] = [r.revision for r in ordered if r.is_branch_point]
    out["merge_points"] = [r.revision for r in ordered if r.is_merge_point]
    out["history"] = [s.revision for s in
                      script_directory(revs).walk_revisions("base", "heads")]
    # `alembic branches`: branch points in history order; Alembic prints the
    # children in set order, so they are sorted here
    out["branches"] = [
        {"revision": s.revision, "children": sorted(s.nextrev)}
        for s in script_directory(revs).walk_revisions()
        if s.is_branch_point]

    ranges = {}
    for rng in c["ranges"]:
        lo, hi = rng.split(":")
        sdr = script_directory(revs)
        res, rerr, _ = attempt(
            sdr, lambda: [s.revision for s in sdr.walk_revisions(
                base=lo or "base", head=hi or "heads")])
        ranges[rng] = rerr if rerr else res
    out["history_ranges"] = ranges

    out["targets"] = {t: resolve_target(script_directory(revs), t)
                      for t in c["targets"]}
    if c["short"]:
        out["targets_short_prefix"] = {
            t: resolve_target(script_directory(revs), t) for t in c["short"]}

    heads_now = out["heads"]

    def state(frm):
        return heads_now if frm == "@heads" else list(frm)

    out["upgrade"] = [run_steps(script_directory(revs), state(f), t, False)
                      for f, t in c["upgrades"]]
    out["downgrade"] = [run_steps(script_directory(revs), state(f), t, True)
                        for f, t in c["downgrades"]]
    out["errors"] = []
    out["warnings"] = warns
    return out


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------

def revision_file(r):
    lines = ["-- revision: %s" % r.id,
             "-- down_revision: %s" % (", ".join(r.parents) or "none")]
    if r.depends:
        lines.append("-- depends_on: %s" % ", ".join(r.depends))
    if r.labels:
        lines.append("-- branch_labels: %s" % ", ".join(r.labels))
    lines += ["-- message: %s" % r.message,
              "-- created: %s" % r.created,
              "",
              "-- +upgrade",
              "SELECT 1;",
              "",
              "-- +downgrade",
              "SELECT 1;",
              ""]
    return "\n".join(lines)


def write_case(c, out_dir):
    d = os.path.join(out_dir, c["name"])
    if os.path.isdir(d):
        shutil.rmtree(d)
    mig = os.path.join(d, "migrations")
    os.makedirs(mig)
    revs = c["revs"]
    names = [r.file for r in revs]
    if names != sorted(names):
        raise SystemExit("case %s: revisions not listed in file-name order"
                         % c["name"])
    if len(set(names)) != len(names):
        raise SystemExit("case %s: two revisions share a file name"
                         % c["name"])
    for r in revs:
        if not re.fullmatch(r"[A-Za-z0-9_]{1,32}", r.id):
            raise SystemExit("bad id %r" % r.id)
        with open(os.path.join(mig, r.file), "w") as f:
            f.write(revision_file(r))
    exp = expected_for(c)
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(exp, f, indent=2)
        f.write("\n")


def generate(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for c in CASES:
        write_case(c, out_dir)


def main(argv):
    if alembic.__version__ != "1.8.1":
        print("warning: fixtures were defined against Alembic 1.8.1, this is "
              "%s" % alembic.__version__, file=sys.stderr)
    if "--check" in argv:
        tmp = tempfile.mkdtemp(prefix="revgate-fixtures-")
        try:
            generate(tmp)
            bad = 0
            for c in CASES:
                for rel in ["expected.json"] + [
                        os.path.join("migrations", r.file) for r in c["revs"]]:
                    a = os.path.join(tmp, c["name"], rel)
                    b = os.path.join(OUT, c["name"], rel)
                    if not os.path.exists(b) or open(a).read() != open(b).read():
                        print("differs: %s/%s" % (c["name"], rel))
                        bad += 1
            print("%d case(s) checked, %d difference(s)" % (len(CASES), bad))
            return 1 if bad else 0
        finally:
            shutil.rmtree(tmp)
    generate(OUT)
    print("wrote %d cases to %s" % (len(CASES), os.path.relpath(OUT, ROOT)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
