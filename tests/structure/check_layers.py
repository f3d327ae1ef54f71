#!/usr/bin/env python3
"""Checks the architecture the tree promises (src/LAYERS): every #include
points to the same group or a lower one, no include cycle between modules,
no SQL outside src/, every table has one owning module, allocations and
binds go through their one checked place, and only store/db names the
engine. Prints TAP."""
import os
import re
import sys

top = sys.argv[1] if len(sys.argv) > 1 else "."
src = os.path.join(top, "src")
groups = [l.strip() for l in open(os.path.join(src, "LAYERS")) if l.strip() and not l.startswith("#")]
rank = {g: i for i, g in enumerate(groups)}
TOP = len(groups)  # fcgi/ and daemon/
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
SQL = re.compile(r'"[^"\n]*\b(SELECT|INSERT|UPDATE|DELETE|CREATE TABLE)\b[^"\n]*"|\bsqlite3_\w+\s*\(')
TABLE = re.compile(r'\b(?:FROM|JOIN|INTO|UPDATE)\s+([a-z_]+)\b(?!\s*\()')  # not json_each(...)

# module name ("group/name", "fcgi/name", "daemon/name") -> (rank, [files])
modules = {}
for d, r in [(os.path.join(src, g), rank[g]) for g in groups] + [
        (os.path.join(top, "fcgi"), TOP), (os.path.join(top, "daemon"), TOP)]:
    if not os.path.isdir(d):
        continue
    for f in sorted(os.listdir(d)):
        if f.endswith((".c", ".h")):
            name = os.path.relpath(os.path.join(d, f[:-2]), src if r < TOP else top)
            modules.setdefault(name, (r, []))[1].append(os.path.join(d, f))

tests = []
def check(ok, what, why=""):
    tests.append((ok, what, why))

stray = [f for f in os.listdir(src) if f.endswith((".c", ".h"))]
check(not stray, "every source of src/ is in a group", " ".join(stray))
dirs = [d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d))]
check(sorted(dirs) == sorted(groups), "the directories of src/ are the groups of src/LAYERS", " ".join(dirs))
for g in groups:
    check(os.path.isfile(os.path.join(src, g, "README.md")), "src/%s has a README.md" % g)

edges = {m: set() for m in modules}
bad = []
for m, (r, files) in modules.items():
    for f in files:
        for inc in INCLUDE.findall(open(f, encoding="utf-8").read()):
            target = inc[:-2] if inc.endswith(".h") else inc
            if target not in modules:
                # fcgi/ and daemon/ include their own headers without the directory
                local = os.path.join(os.path.dirname(m), target)
                if local in modules:
                    target = local
                else:
                    continue
            if target == m:
                continue
            edges[m].add(target)
            if modules[target][0] > r or (r == TOP and modules[target][0] == TOP and
                                          target.split("/")[0] != m.split("/")[0]):
                bad.append("%s -> %s" % (m, target))
check(not bad, "every include points to its own group or a lower one", "; ".join(sorted(bad)))

# Cycles: Tarjan's strongly connected components.
index, low, onstack, stack, sccs, counter = {}, {}, set(), [], [], [0]
def visit(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    onstack.add(v)
    for w in edges[v]:
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in onstack:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            onstack.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            sccs.append(sorted(comp))
sys.setrecursionlimit(10000)
for v in sorted(edges):
    if v not in index:
        visit(v)
check(not sccs, "no include cycle between modules", "; ".join(" <-> ".join(c) for c in sccs))

outside = []
owners = {}
for m, (r, files) in modules.items():
    for f in files:
        text = open(f, encoding="utf-8").read()
        if r == TOP and SQL.search(text):
            outside.append(m)
        if r < TOP and m != "store/schema":  # schema.c creates every table
            lits = " ".join(re.findall(r'"((?:[^"\\\n]|\\.)*)"', text))
            for t in set(TABLE.findall(lits)):
                owners.setdefault(t, set()).add(m)
check(not outside, "fcgi/ and daemon/ hold no SQL", " ".join(sorted(set(outside))))
shared = ["%s: %s" % (t, ", ".join(sorted(ms))) for t, ms in sorted(owners.items()) if len(ms) > 1]
check(not shared, "every table is queried by one module only", "; ".join(shared))

# The conventions every module follows (src/base/mem.h, src/store/db.h):
# allocations through mem_*, binds through db_bind_*.
CALL = {"allocation": (re.compile(r"(?<![\w.>])(malloc|calloc|realloc|strdup|strndup)\s*\("), "base/mem"),
        "bind": (re.compile(r"\bsqlite3_bind_(?!parameter_)\w+\s*\("), "store/db_sqlite")}
for what, (pat, home) in CALL.items():
    where = sorted(m for m, (r, files) in modules.items() if m != home
                   for f in files if pat.search(re.sub(r"/\*.*?\*/", "", open(f, encoding="utf-8").read(), flags=re.S)))
    check(not where, "every %s goes through %s" % (what, home), " ".join(sorted(set(where))))

# Each engine has one home behind src/store/db.h: no other module names its
# API, types or constants, nor includes its header.
ENGINES = {"store/db_sqlite": re.compile(r"\bsqlite3|\bSQLITE_"),
           "store/db_pg": re.compile(r"\blibpq-fe\.h|\bPQ[a-z]\w*\s*\(|\bPGconn\b|\bPGresult\b")}
for home, pat in ENGINES.items():
    where = sorted(m for m, (r, files) in modules.items() if m != home
                   for f in files if pat.search(open(f, encoding="utf-8").read()))
    check(not where, "only %s names its engine" % home, " ".join(sorted(set(where))))

print("1..%d" % len(tests))
for i, (ok, what, why) in enumerate(tests, 1):
    print("%sok %d - %s" % ("" if ok else "not ", i, what))
    if not ok and why:
        print("# " + why)
sys.exit(0)
