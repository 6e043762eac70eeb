"""No module reaches into another module's private names.

A name with a leading underscore is a module's own business: another module that imports
it (`from engine.x import _helper`), or reads it off an imported module or class
(`qwen_parse._FENCE`, `pymupdf._internal`), breaks the day the owner renames it. What two
modules share gets a public name in a module made for it.

Every module of engine/, remud_desktop/ and training/ is read with `ast` (nothing is
imported). Dunder names (`__version__`, `__file__`) are public. Private names of a
third-party package are allowed only in the one module that wraps them on purpose.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "remud_desktop", "training")

# module path (relative to the repository) -> third-party packages whose private names it may use
WRAPPERS: dict[str, frozenset[str]] = {
    "engine/chat/llama_adapter.py": frozenset({"llama_cpp"}),
}


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def absolute(node: ast.ImportFrom, path: Path, root: Path) -> str:
    """The module an ImportFrom reads from, with relative imports resolved."""
    if not node.level:
        return node.module or ""
    package = module_name(path, root).split(".")
    if path.name != "__init__.py":
        package.pop()
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def dotted(node: ast.expr) -> list[str] | None:
    """["a", "b", "c"] for the expression a.b.c, else None."""
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    names.append(node.id)
    return names[::-1]


def violations(path: Path, root: Path = ROOT) -> Iterator[str]:
    """'path:line: what' for every private name `path` takes from another module."""
    rel = path.relative_to(root).as_posix()
    allowed = WRAPPERS.get(rel, frozenset())
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
    imported: dict[str, str] = {}  # local name -> the module (or module.name) it came from
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if any(is_private(p) for p in alias.name.split(".")) and alias.name.split(".")[0] not in allowed:
                    yield f"{rel}:{node.lineno}: imports the private module {alias.name}"
                local = alias.asname or alias.name.split(".")[0]
                imported[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom):
            source = absolute(node, path, root)
            top = source.split(".")[0]
            if any(is_private(p) for p in source.split(".")) and top not in allowed:
                yield f"{rel}:{node.lineno}: imports from the private module {source}"
            for alias in node.names:
                if is_private(alias.name) and top not in allowed:
                    yield f"{rel}:{node.lineno}: imports the private name {alias.name} from {source}"
                imported[alias.asname or alias.name] = f"{source}.{alias.name}"
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not is_private(node.attr):
            continue
        chain = dotted(node)
        if not chain or chain[0] not in imported:
            continue
        origin = imported[chain[0]]
        if origin.split(".")[0] in allowed:
            continue
        yield f"{rel}:{node.lineno}: reads the private name {'.'.join(chain)} (from {origin})"


def modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_the_packages_are_found():
    names = {module_name(p) for p in modules()}
    assert {"engine", "remud_desktop", "training"} <= names


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_imports_a_private_name_from_another(package):
    found = [v for p in modules() if module_name(p).split(".")[0] == package for v in violations(p)]
    assert not found, "Private names used outside their module:\n" + "\n".join(found)


def test_the_check_sees_each_kind_of_reach(tmp_path):
    pkg = tmp_path / "engine" / "demo"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "user.py").write_text(
        "import pymupdf\n"
        "from engine.other import _helper, __version__, public as _fine\n"
        "from . import _sibling\n"
        "from engine.store import records\n"
        "x = records._private + pymupdf._internal + records.__name__ + _fine._own\n"
    )
    found = {v.split(": ", 1)[1] for v in violations(pkg / "user.py", tmp_path)}
    assert found == {
        "imports the private name _helper from engine.other",
        "imports the private name _sibling from engine.demo",
        "reads the private name records._private (from engine.store.records)",
        "reads the private name pymupdf._internal (from pymupdf)",
        "reads the private name _fine._own (from engine.other.public)",
    }


def test_a_wrapper_may_use_its_own_third_party_private_names(tmp_path):
    chat = tmp_path / "engine" / "chat"
    chat.mkdir(parents=True)
    for rel in WRAPPERS:
        module = tmp_path / rel
        module.parent.mkdir(parents=True, exist_ok=True)
        module.write_text("import llama_cpp\nfrom engine.x import _y\nb = llama_cpp._internals.LlamaBatch\n")
        found = [v.split(": ", 1)[1] for v in violations(module, tmp_path)]
        assert found == ["imports the private name _y from engine.x"]
