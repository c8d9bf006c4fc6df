"""The core and the contracts stay pure: no I/O frameworks, no clock, no shell imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import streamproc.core as core

ROOT = Path(__file__).resolve().parents[3] / "streamproc"
FORBIDDEN = {
    "faust",
    "aiohttp",
    "rocksdict",
    "asyncio",
    "logging",
    "os",
    "time",
    "uuid",
    "random",
    "aiokafka",
    "subprocess",
    "socket",
}
ALLOWED_INTERNAL = {
    "core": ("streamproc.core", "streamproc.contracts"),
    "contracts": ("streamproc.contracts",),
}
# The schema CLI is the one module in contracts allowed to write files (via pathlib).
FILE_IO_MODULES = {"schemas.py"}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", ["core", "contracts"])
def test_package_imports_are_pure(package: str) -> None:
    for path in sorted((ROOT / package).glob("*.py")):
        for name in imported_modules(path):
            top = name.split(".")[0]
            assert top not in FORBIDDEN, f"{path.name} imports {name}"
            if top == "streamproc":
                assert name.startswith(ALLOWED_INTERNAL[package]), f"{path.name} imports {name}"
            if package == "core" or path.name not in FILE_IO_MODULES:
                assert top not in {"pathlib", "sys", "argparse"}, f"{path.name} imports {name}"


@pytest.mark.parametrize("package", ["core", "contracts"])
def test_modules_are_small(package: str) -> None:
    for path in (ROOT / package).glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 300, path.name


def test_core_exports_are_sorted_and_present() -> None:
    assert core.__all__ == sorted(core.__all__)
    for name in core.__all__:
        assert getattr(core, name).__doc__, f"{name} has no docstring"
