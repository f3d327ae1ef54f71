"""The integration tests' own look at the stack's database, on either engine.

The location is $TRADER_TEST_DB (set by lib.sh): a SQLite file, or a
postgresql:// URL, read through psql (the harness needs no Python driver).
connect() gives an object with execute(sql, params) -> rows (fetchone,
fetchall, iteration), like sqlite3's, for SELECT statements. On PostgreSQL
the SQL is the same text: lib.sh gives each test database a schema
"sqlite_compat" (compat.sql: group_concat, json_extract...) on the harness's
search path only, booleans come back as 1/0, and ? parameters are inlined
as literals (test data only).

As a script: testdb.py QUERY prints the first value of the first row
(nothing for none or NULL); testdb.py --digest prints a digest of the
content; testdb.py --dump prints every row, one line each.
"""
import hashlib
import json
import os
import sqlite3
import subprocess
import sys


def location():
    return os.environ["TRADER_TEST_DB"]


def is_pg(loc=None):
    loc = loc or location()
    return loc.startswith("postgresql://") or loc.startswith("postgres://")


class _Rows:
    def __init__(self, rows):
        self._rows = rows

    def fetchone(self):
        return self._rows[0] if self._rows else None

    def fetchall(self):
        return list(self._rows)

    def __iter__(self):
        return iter(self._rows)


def _literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (int, float)):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


def _inline(sql, params):
    """sql with each ? outside string literals replaced by the next param."""
    if not params:
        return sql
    out, quote, it = [], False, iter(params)
    for ch in sql:
        if ch == "'":
            quote = not quote
        out.append(_literal(next(it)) if ch == "?" and not quote else ch)
    return "".join(out)


def _value(v):
    return int(v) if isinstance(v, bool) else v


class _Pg:
    def __init__(self, url):
        self.url = url

    def psql(self, sql):
        env = dict(os.environ, PGOPTIONS="-c search_path=public,sqlite_compat")
        r = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.url, "-c", sql],
            env=env, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("psql: %s" % r.stderr.strip())
        return r.stdout

    def execute(self, sql, params=()):
        sql = _inline(sql.strip().rstrip(";"), params)
        out = self.psql("SELECT row_to_json(q) FROM (%s) q" % sql)
        return _Rows([tuple(_value(v) for v in json.loads(line).values())
                      for line in out.splitlines() if line])

    def tables(self):
        out = self.psql("SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = 'public' ORDER BY table_name")
        return out.split()

    def iterdump(self):
        """Every row of every table as 'INSERT INTO "t" JSON', sorted per table."""
        for t in self.tables():
            out = self.psql('SELECT row_to_json(t) FROM "%s" t' % t)
            for line in sorted(out.splitlines()):
                yield 'INSERT INTO "%s" %s' % (t, line)


def connect(loc=None):
    loc = loc or location()
    if is_pg(loc):
        return _Pg(loc)
    return sqlite3.connect("file:%s?mode=ro" % loc, uri=True)


def dump(loc=None):
    return connect(loc).iterdump()


def digest(loc=None):
    """The content but what changes by itself: the heartbeat rows (daemon,
    workers) and the audit rows of API requests (every mutating request adds
    one, refused or not)."""
    h = hashlib.sha256()
    for line in dump(loc):
        if line.startswith(('INSERT INTO "daemon"', 'INSERT INTO "workers"')):
            continue
        if line.startswith('INSERT INTO "audit_log"') and "api_request" in line:
            continue
        if line.startswith('INSERT INTO "sqlite_sequence"') and "'audit_log'" in line:
            continue
        h.update(line.encode())
    return h.hexdigest()


def main(argv):
    if argv[1:] == ["--digest"]:
        print(digest())
    elif argv[1:] == ["--dump"]:
        for line in dump():
            print(line)
    elif len(argv) == 2:
        r = connect().execute(argv[1]).fetchone()
        print("" if r is None or r[0] is None else r[0])
    else:
        sys.exit("usage: testdb.py QUERY | --digest | --dump")


if __name__ == "__main__":
    main(sys.argv)
