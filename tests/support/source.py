"""posbridge's own source read once per test process: the layering and seam tests walk every module's
syntax tree, each test for its own rule, and parsing the whole tree again for each took seconds."""

from __future__ import annotations

import ast
import functools
from pathlib import Path


def syntax(path: Path) -> ast.Module:
    """The file's syntax tree, parsed once while the file stays as it is (callers only read it)."""
    stat = path.stat()
    return _parsed(path, stat.st_mtime_ns, stat.st_size)


def text_syntax(text: str) -> ast.Module:
    """The syntax tree of source text, parsed once per text (callers only read it)."""
    return _parsed_text(text)


@functools.cache
def _parsed(path: Path, _mtime_ns: int, _size: int) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@functools.cache
def _parsed_text(text: str) -> ast.Module:
    return ast.parse(text)
