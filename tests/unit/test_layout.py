"""The package's layout holds: no import cycle, the product never loads the benchmarks, pages go
through the web layer only, each folder imports only what docs/ARCHITECTURE.md allows, and the
domain's words (statuses, colours, milestone years) are defined once.

Imports are read from the source (ast), function-level ones included: a lazy import is still a
dependency."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "indicators"

# Which rooms each room may import (its own room always). The pure core of the progress method
# (progress/method.py and progress/statuses.py) is a room of its own that every room may use.
ALLOWED = {
    "paths": set(),
    "text": set(),
    "core": set(),
    "store": {"core", "text", "paths"},
    "progress": {"core", "store", "text"},
    "auth": {"core", "store", "text"},
    "plans": {"auth", "core", "progress", "store", "text"},
    "setup": {"auth", "core", "progress", "store", "tasks", "text", "paths"},
    "excel": {"auth", "core", "progress", "store", "text", "paths"},
    "present": {"core", "progress", "store", "text", "paths"},
    "tasks": {"auth", "core", "excel", "present", "store", "text", "paths"},
    "web": {"auth", "core", "excel", "paths", "plans", "present", "progress", "setup", "store", "tasks", "text"},
    "cli": {"auth", "core", "excel", "paths", "plans", "present", "progress", "setup", "store", "tasks", "text",
            "bench"},
    "main": {"cli"},
    "package": set(),
}
CORE = {"indicators.progress.method", "indicators.progress.statuses"}


def room(module: str) -> str:
    """The room (folder) a module of the package belongs to; 'bench' for the tools beside it."""
    if module == "bench" or module.startswith("bench."):
        return "bench"
    if module in CORE:
        return "core"
    parts = module.split(".")
    if len(parts) == 1:
        return "package"
    return {"__main__": "main"}.get(parts[1], parts[1])


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports (absolute names; `from a import b` counts a.b when b is a
    module of the project, else a)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if is_project_module(candidate) else base)
    return {m for m in found if m.split(".")[0] in ("indicators", "bench")}


def is_project_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def package_graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_the_package_has_no_import_cycle():
    graph = package_graph()
    cycles, state, stack = [], {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if dep not in graph:
                continue
            if state.get(dep) == "open":
                cycles.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = "done"

    for module in graph:
        if module not in state:
            visit(module)
    assert not cycles, "import cycles: " + "; ".join(" → ".join(c) for c in cycles)


def test_only_the_command_line_dispatches_to_the_benchmarks():
    offenders = {m: sorted(d for d in deps if room(d) == "bench")
                 for m, deps in package_graph().items() if m != "indicators.cli.tools"}
    assert not {m: d for m, d in offenders.items() if d}, offenders


def test_each_folder_imports_only_what_the_architecture_allows():
    wrong = []
    for module, deps in package_graph().items():
        mine = room(module)
        for dep in deps:
            theirs = room(dep)
            if theirs != mine and theirs not in ALLOWED[mine] and dep != "indicators":
                wrong.append(f"{module} ({mine}) imports {dep} ({theirs})")
    assert not wrong, "\n".join(sorted(wrong))


def test_pages_and_the_entry_point_import_only_the_web_layer():
    wrong = []
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        for dep in imports_of(path):
            if dep != "indicators.web" and not dep.startswith("indicators.web."):
                wrong.append(f"{path.relative_to(ROOT)} imports {dep}")
    assert not wrong, "\n".join(wrong)


def test_pages_hold_no_sql():
    sql = re.compile(r"\b(select|insert|update|delete)\b.+\b(from|into|set|where)\b", re.IGNORECASE)
    for path in sorted((ROOT / "pages").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not sql.search(node.value), f"{path.name}: SQL text {node.value[:60]!r}"
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("execute", "sql", "query"):
                pytest.fail(f"{path.name}:{node.lineno} runs a query itself")


def test_streamlit_is_imported_only_by_the_web_layer():
    wrong = [module for module, path in ((module_name(p), p) for p in PACKAGE.rglob("*.py"))
             if not module.startswith("indicators.web")
             and any(name.split(".")[0] == "streamlit" for name in _all_imports(path))]
    assert not wrong, wrong


def _all_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_the_architecture_page_states_the_same_rules():
    """docs/ARCHITECTURE.md's table of what each folder may import is the one this test enforces."""
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z_]+)` \|[^|]*\| ([^|]*) \|$", text, re.MULTILINE)
    documented = {name: {w.strip("` ") for w in imports.split(",") if w.strip(" –-")} for name, imports in rows}
    assert documented == {k: v for k, v in ALLOWED.items() if k not in ("main", "package")}


# --- the domain's words, once -----------------------------------------------------------------
WORDS = {
    "status labels": re.compile(r"Chệch hướng\"|\"Cần tăng tốc\""),
    "status colours": re.compile(r"#c62828|#e3b505", re.IGNORECASE),
    "status marks": re.compile(r"\"▼\"|\"◆\""),
    "milestone years": re.compile(r"2026,\s*2030,\s*2035,\s*2045"),
}


@pytest.mark.parametrize("what", WORDS)
def test_the_domain_words_are_defined_in_one_module(what):
    """A grep over the product (package, pages, app, SQL) finds each definition once, in
    progress/statuses.py; SQL takes the milestones as a parameter."""
    places = [p for p in [*PACKAGE.rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py",
                          *(ROOT / "queries").rglob("*.sql")]
              if WORDS[what].search(p.read_text(encoding="utf-8"))]
    assert places == [PACKAGE / "progress" / "statuses.py"], places
