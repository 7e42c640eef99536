"""Code shape of ``src/promisekeeper`` at a git revision, as JSON (stdlib only).

    python benchmarks/code_metrics.py 10699df      # before the promising redesign
    python benchmarks/code_metrics.py HEAD

Reads the files with ``git show REV:path`` (the working tree is not touched) and prints:

- ``largest_modules``: the 10 largest modules by lines (migrations left out);
- ``fixed_sql``: hand-written SQL. ``calls`` are call sites that run SQL
  (``sql.fetch_one``/``sql.fetch_all``/``sql.insert``, ``cursor.execute``/``executemany``,
  ``.raw(``); ``texts`` are string literals and f-strings whose text starts with
  SELECT/INSERT/UPDATE/DELETE; ``statements`` counts both, a call whose first argument is
  such a literal once;
- ``type_ignore``: ``# type: ignore`` comments;
- ``back_imports``: imports (module level or inside a function) from an app of a higher
  layer than the importing one, in the order of ``LAYERS`` (docs/architecture.md).
  Top-level modules (settings, urls, the engine CLI) belong to no layer and are skipped.

Migrations and tests are left out of every figure; tests live outside ``src/`` anyway.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import re
import subprocess
import sys
import tokenize
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
ROOT = "src/promisekeeper"
PACKAGE = "promisekeeper"
LAYERS = (
    "engine",
    "research",
    "organisation",
    "people",
    "catalog",
    "sales",
    "delivery",
    "promising",
    "insights",
    "api",
)
RANK = {name: k for k, name in enumerate(LAYERS)}
SQL_RUNNERS = {"fetch_one", "fetch_all", "insert"}  # the sql helper module's functions
SQL_TEXT = re.compile(
    r"\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM)\s"
)  # SQL is written upper case here


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout


def modules(rev: str) -> dict[str, str]:
    """path -> source of every Python module under ``ROOT`` at ``rev`` (no migrations)."""
    paths = git("ls-tree", "-r", "--name-only", rev, "--", ROOT).split()
    return {
        p: git("show", f"{rev}:{p}")
        for p in paths
        if p.endswith(".py") and "/migrations/" not in p and "/tests/" not in p
    }


def app_of(path: str) -> str | None:
    """The app (first package below ``promisekeeper``) a module belongs to, if any."""
    parts = path[len(ROOT) + 1 :].split("/")
    return parts[0] if len(parts) > 1 else None


def _literal_text(node: ast.AST) -> str | None:
    """The leading text of a str constant or an f-string, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        first = node.values[0] if node.values else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def _is_sql_text(node: ast.AST) -> bool:
    text = _literal_text(node)
    return text is not None and SQL_TEXT.match(text) is not None


def _is_sql_call(node: ast.Call) -> bool:
    func = node.func
    if not isinstance(func, ast.Attribute):
        return False
    owner = func.value.id if isinstance(func.value, ast.Name) else ""
    if func.attr in SQL_RUNNERS and owner == "sql":
        return True
    if func.attr in ("execute", "executemany") and "cursor" in owner:
        return True
    return func.attr == "raw"


def fixed_sql(tree: ast.AST) -> dict[str, int]:
    calls = texts = inline = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_sql_call(node):
            calls += 1
            if node.args and _is_sql_text(node.args[0]):
                inline += 1
        elif isinstance(node, ast.Constant | ast.JoinedStr) and _is_sql_text(node):
            texts += 1
    # Constants inside an f-string are walked too: count the f-string only.
    nested = sum(
        1
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
        if isinstance(part, ast.Constant) and _is_sql_text(part)
    )
    texts -= nested
    return {"calls": calls, "texts": texts, "statements": calls + texts - inline}


def type_ignores(source: str) -> int:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return sum(1 for t in tokens if t.type == tokenize.COMMENT and "type: ignore" in t.string)


def imported_apps(tree: ast.AST, path: str) -> list[tuple[int, str, str]]:
    """(line, imported module, its app) for every import of another promisekeeper module."""
    package = path[len("src/") : -len(".py")].split("/")
    if package[-1] != "__init__":
        package = package[:-1]
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif node.level:
            base = package[: len(package) - node.level + 1]
            names = [".".join(base + ([node.module] if node.module else []))]
        elif node.module:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == PACKAGE and len(parts) > 1:
                found.append((node.lineno, name, parts[1]))
    return found


def measure(rev: str) -> dict[str, Any]:
    sources = modules(rev)
    lines = {p: s.count("\n") for p, s in sources.items()}
    sql = {"calls": 0, "texts": 0, "statements": 0}
    sql_by_module: dict[str, int] = {}
    ignores = 0
    back: list[dict[str, Any]] = []
    for path, source in sources.items():
        tree = ast.parse(source, path)
        counted = fixed_sql(tree)
        for key in sql:
            sql[key] += counted[key]
        if counted["statements"]:
            sql_by_module[path[len(ROOT) + 1 :]] = counted["statements"]
        ignores += type_ignores(source)
        app = app_of(path)
        if app not in RANK:
            continue
        for line, name, target in imported_apps(tree, path):
            if target in RANK and RANK[target] > RANK[app]:
                back.append({"module": f"{path[len(ROOT) + 1 :]}:{line}", "imports": name})
    largest = sorted(lines.items(), key=lambda item: (-item[1], item[0]))[:10]
    return {
        "revision": rev,
        "commit": git("rev-parse", "--short", rev).strip(),
        "modules": len(sources),
        "lines": sum(lines.values()),
        "largest_modules": [{"module": p[len(ROOT) + 1 :], "lines": n} for p, n in largest],
        "fixed_sql": sql | {"by_module": dict(sorted(sql_by_module.items()))},
        "type_ignore": ignores,
        "back_imports": {"count": len(back), "imports": back},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revisions", nargs="*", default=["HEAD"], help="git revisions")
    args = parser.parse_args(argv)
    results = [measure(rev) for rev in args.revisions]
    json.dump(results[0] if len(results) == 1 else results, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
