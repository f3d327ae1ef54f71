-- SQLite functions the integration tests' own checks use (tests/integration/
-- testdb.py), for a PostgreSQL test database. They live in a schema of their
-- own, on the search path of the harness's psql only: the service never
-- sees them.
CREATE SCHEMA sqlite_compat;

CREATE FUNCTION sqlite_compat.gc_step(acc text, v anyelement, sep text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v::text ELSE acc || sep || v::text END
$$;
CREATE FUNCTION sqlite_compat.gc_step(acc text, v anyelement) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT sqlite_compat.gc_step(acc, v, ',') $$;
CREATE AGGREGATE sqlite_compat.group_concat(anyelement, text) (SFUNC = sqlite_compat.gc_step, STYPE = text);
CREATE AGGREGATE sqlite_compat.group_concat(anyelement) (SFUNC = sqlite_compat.gc_step, STYPE = text);

CREATE FUNCTION sqlite_compat.json_valid(t text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  PERFORM CAST(t AS json);
  RETURN t IS NOT NULL;
EXCEPTION WHEN others THEN
  RETURN false;
END
$$;

-- json_array of numbers, spelt as SQLite does ("[1,2,3]").
CREATE FUNCTION sqlite_compat.json_array(VARIADIC v numeric[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT '[' || array_to_string(v, ',') || ']' $$;

-- json_extract(text, '$.key'): one top-level key, as text.
CREATE FUNCTION sqlite_compat.json_extract(t text, path text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(t AS json) ->> substr(path, 3) $$;
