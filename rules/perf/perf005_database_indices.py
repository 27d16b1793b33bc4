"""Database indices optimized.

## What it does
Reads the schema history the repository keeps: SQL migrations (Flyway `V*__*.sql`, golang-migrate
`*.up.sql`, `migrations/**/*.sql`, `schema.sql`), Liquibase `createIndex`, Alembic `op.create_index`,
Django `AddIndex` / `Meta.indexes` / `db_index=True`, Rails `add_index` / `t.index`, Prisma `@@index`,
TypeORM `@Index`, Sequelize `addIndex`. Over the whole SQL history it checks that every PostgreSQL
foreign key (`REFERENCES`) has an index whose leading column is the key (primary keys and unique
constraints count; a later migration may add the index): PostgreSQL, unlike MySQL/InnoDB, does not
index foreign keys itself, so deletes on the parent and joins scan the child table. Two safety checks
run at `warning`, named after squawk's rules: `require-concurrent-index-creation` (a `CREATE INDEX`
without `CONCURRENTLY` on a table an earlier migration created locks writes while it builds) and
`ban-concurrent-index-creation-in-transaction` (`CONCURRENTLY` inside `BEGIN … COMMIT` fails). Without
a relational database the rule does not apply; a database without migrations in the repository
(ORM-managed schema) is evidence unavailable.

## Why it matters
A missing foreign-key index is invisible at ten rows and a full table scan at ten million: every parent
delete and every join on the key reads the whole child table.

## How to fix
Add `CREATE INDEX CONCURRENTLY <table>_<column>_idx ON <table> (<column>);` in a new migration, outside
a transaction block.

## Example
```sql fail file=db/migrations/V1__orders.sql
CREATE TABLE customers (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers (id),
  total_cents bigint NOT NULL
);
```
```sql pass file=db/migrations/V1__orders.sql
CREATE TABLE customers (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers (id),
  total_cents bigint NOT NULL
);
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
```
"""
import re

from readylint import lazy_re
from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT, Location
from readylint.model.backups import stateful_components
from readylint.model.dependencies import all_dependencies
from readylint.registry import rule

SQL_GLOBS = ("**/V*__*.sql", "**/*.up.sql", "**/migrations/**/*.sql", "**/migrate/**/*.sql", "**/schema.sql",
             "**/db/**/*.sql", "**/sql/**/*.sql")
ORM_GLOBS = {"**/db/changelog/**": r"createIndex", "**/liquibase/**": r"createIndex",
             "**/alembic/versions/*.py": r"create_index", "**/migrations/*.py": r"AddIndex|db_index=True|indexes\s*=",
             "**/models.py": r"db_index=True|indexes\s*=", "**/db/migrate/*.rb": r"add_index|t\.index|references",
             "**/schema.prisma": r"@@index|@@unique|@unique", "**/*.entity.ts": r"@Index",
             "**/migrations/*.js": r"addIndex", "**/migrations/*.ts": r"addIndex|createIndex|TableIndex"}
IDENT = r'(?:"[^"]+"|`[^`]+`|[\w$]+)'
QNAME = rf"(?:{IDENT}\.)?({IDENT})"
CREATE_TABLE = lazy_re.compile(rf"\bCREATE\s+(?:UNLOGGED\s+|TEMP(?:ORARY)?\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"
                          rf"{QNAME}\s*\(", re.IGNORECASE)
CREATE_INDEX = lazy_re.compile(rf"\bCREATE\s+(?:UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"
                          rf"(?:{IDENT}\s+)?ON\s+(?:ONLY\s+)?{QNAME}\s*(?:USING\s+\w+\s*)?\(\s*({IDENT})",
                          re.IGNORECASE)
ALTER_FK = lazy_re.compile(rf"\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?{QNAME}\s+ADD\s+(?:CONSTRAINT\s+{IDENT}\s+)?"
                      rf"(FOREIGN\s+KEY|PRIMARY\s+KEY|UNIQUE)\s*\(\s*({IDENT})", re.IGNORECASE)
ALTER_COLUMN_FK = lazy_re.compile(rf"\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?{QNAME}\s+ADD\s+(?:COLUMN\s+)?"
                             rf"(?:IF\s+NOT\s+EXISTS\s+)?(?!(?:CONSTRAINT|FOREIGN|PRIMARY|UNIQUE|CHECK)\b)"
                             rf"({IDENT})\s+[^,;]*?\bREFERENCES\b", re.IGNORECASE)
TABLE_CONSTRAINT = rf"(?:CONSTRAINT\s+{IDENT}\s+)?(FOREIGN\s+KEY|PRIMARY\s+KEY|UNIQUE)\s*\(\s*({IDENT})"
MYSQL = lazy_re.compile(r"ENGINE\s*=\s*InnoDB|AUTO_INCREMENT|`\w+`", re.IGNORECASE)


def _name(raw: str) -> str:
    return raw.strip('"`').lower()


def _strip_comments(text: str) -> str:
    """Comments blanked out, newlines kept, so offsets still give line numbers."""
    return re.sub(r"--[^\n]*|/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.DOTALL)


def _body(text: str, start: int) -> tuple[str, int]:
    depth, i = 1, start
    while i < len(text) and depth:
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        i += 1
    return text[start:i - 1], start


def _split(body: str):
    """(offset, item) of the top-level comma-separated items of a CREATE TABLE body."""
    depth, start = 0, 0
    for i, char in enumerate(body + ","):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            yield start, body[start:i]
            start = i + 1


class Schema:
    def __init__(self):
        self.foreign_keys = []  # (table, column, Location)
        self.indexed = set()  # (table, leading column)
        self.created = {}  # table -> path of the file that created it
        self.warnings = []  # (message, Location, key)


def _read(schema: Schema, path: str, raw: str):
    text = _strip_comments(raw)

    def at(offset: int) -> Location:
        return Location(path, text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset))

    for found in CREATE_TABLE.finditer(text):
        table = _name(found.group(1))
        schema.created.setdefault(table, path)
        body, base = _body(text, found.end())
        for offset, item in _split(body):
            stripped = item.strip()
            lead = base + offset + (len(item) - len(item.lstrip()))
            table_level = re.match(TABLE_CONSTRAINT, stripped, re.IGNORECASE)
            if table_level:
                column = _name(table_level.group(2))
                if table_level.group(1).upper().startswith("FOREIGN"):
                    ref = re.search(r"\bREFERENCES\b", stripped, re.IGNORECASE)
                    schema.foreign_keys.append((table, column, at(lead + (ref.start() if ref else 0))))
                else:
                    schema.indexed.add((table, column))
                continue
            column_match = re.match(rf"({IDENT})\s", stripped + " ")
            if not column_match or column_match.group(1).upper() in ("CHECK", "EXCLUDE", "LIKE", "CONSTRAINT"):
                continue
            column = _name(column_match.group(1))
            if re.search(r"\bPRIMARY\s+KEY\b|\bUNIQUE\b", stripped, re.IGNORECASE):
                schema.indexed.add((table, column))
            ref = re.search(r"\bREFERENCES\b", stripped, re.IGNORECASE)
            if ref:
                schema.foreign_keys.append((table, column, at(lead + ref.start())))
    for found in ALTER_FK.finditer(text):
        table, column = _name(found.group(1)), _name(found.group(3))
        if found.group(2).upper().startswith("FOREIGN"):
            ref = re.search(r"\bREFERENCES\b", text[found.end():found.end() + 300], re.IGNORECASE)
            schema.foreign_keys.append((table, column, at(found.end() + ref.start() if ref else found.start())))
        else:
            schema.indexed.add((table, column))
    for found in ALTER_COLUMN_FK.finditer(text):
        schema.foreign_keys.append((_name(found.group(1)), _name(found.group(2)), at(found.start())))
    in_transaction = [(m.start(), m.group(0).upper()) for m in re.finditer(
        r"\bBEGIN\b(?!\s+(?:ATOMIC|\w+\s*:=))|\bSTART\s+TRANSACTION\b|\bCOMMIT\b|\bEND\s*;", text, re.IGNORECASE)]
    for found in CREATE_INDEX.finditer(text):
        table, column = _name(found.group(2)), _name(found.group(3))
        schema.indexed.add((table, column))
        concurrent = bool(found.group(1))
        opened = [w for pos, w in in_transaction if pos < found.start()]
        inside = bool(opened) and not opened[-1].startswith(("COMMIT", "END"))
        if concurrent and inside:
            schema.warnings.append((f"CREATE INDEX CONCURRENTLY on {table} runs inside a transaction block in {path}, "
                                    f"which PostgreSQL refuses (squawk: ban-concurrent-index-creation-in-transaction); "
                                    f"move it to its own migration without BEGIN/COMMIT.", at(found.start()),
                                    f"{path}.{table}.{column}.in-transaction"))
        elif not concurrent and schema.created.get(table) not in (None, path):
            schema.warnings.append((f"CREATE INDEX on existing table {table} in {path} blocks writes while it builds "
                                    f"(squawk: require-concurrent-index-creation); use CREATE INDEX CONCURRENTLY.",
                                    at(found.start()), f"{path}.{table}.{column}.concurrently"))


@rule(code="PERF005", slug="database-indices", scope="repository", severity="note", confidence="low",
      evidence="R")
def check(index, opts):
    subject = index.repo.subject("database-indices", "database indices")
    sql = sorted(p for p in index.repo.glob(*SQL_GLOBS) if not p.lower().endswith(".down.sql")
                 and "/vendor/" not in p and "node_modules/" not in p)
    orm = [(p, pattern) for glob, pattern in ORM_GLOBS.items() for p in index.repo.glob(glob)]
    if not sql and not orm:
        if _has_database(index):
            yield subject.not_applicable(EVIDENCE_UNAVAILABLE, "the service uses a relational database but no "
                                                               "migrations or schema are in the repository")
        else:
            yield subject.not_applicable(NOT_RELEVANT, "no relational database and no migrations")
        return
    texts = {p: index.repo.text(p) or "" for p in sql}
    if sql and any(MYSQL.search(t) for t in texts.values()) and not any(
            re.search(r"\b(bigserial|serial|jsonb|timestamptz)\b", t, re.IGNORECASE) for t in texts.values()):
        yield subject.passed("MySQL/InnoDB schema: foreign keys are indexed by the engine")
        return
    schema = Schema()
    for path in sql:
        _read(schema, path, texts[path])
    failed = False
    reported = set()
    for table, column, at in schema.foreign_keys:
        if (table, column) in schema.indexed or (table, column) in reported:
            continue
        reported.add((table, column))
        failed = True
        yield subject.fail(f"Foreign key {table}.{column} has no index that starts with it: deleting from the "
                           f"referenced table and joining on {column} scan all of {table}. Add CREATE INDEX "
                           f"CONCURRENTLY {table}_{column}_idx ON {table} ({column}); in a new migration.", at=at,
                           key_path=f"fk.{table}.{column}")
    for message, at, key in schema.warnings:
        failed = True
        yield subject.fail(message, at=at, key_path=key, level="warning")
    if not failed:
        declared = bool(schema.indexed) or any(re.search(pattern, index.repo.text(p) or "") for p, pattern in orm)
        if declared or schema.foreign_keys:
            yield subject.passed(f"{len(schema.foreign_keys)} foreign keys, all indexed")
        else:
            yield subject.fail(f"The migrations ({(sql or [orm[0][0]])[0]}) declare no index at all; index the "
                               f"columns the service filters and joins on.", at=Location((sql or [orm[0][0]])[0], 1, 1),
                               key_path="indexes.none")


def _has_database(index) -> bool:
    if any(c.what == "database" for c in stateful_components(index)):
        return True
    return any(d.database for d in all_dependencies(index))
