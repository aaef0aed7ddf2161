#!/usr/bin/env python3
"""Checks the module structure of every crate's `src/` in the repository.

For each directory that has a `Cargo.toml` and a `src/` folder (sops-core, sops-keys, sops-cli,
benches, fuzz, ...), this builds the module tree from the files (`mod name;` declarations and
inline `mod name { ... }` blocks, starting at the crate roots) and the graph of references
between modules (`use crate::...`, `use super::...`, `use self::...`, and `crate::`, `super::`,
`self::` paths in code; comments and string literals are skipped). It fails (exit status 1,
listing every finding) on:

* any `#[path = ...]` attribute (also inside `cfg_attr`): the module tree must be the files;
* any cycle between modules. At each level of the tree, a module and all its descendants count
  as one node: when sibling A (or anything below it) refers to sibling B (or below) and B refers
  back to A, directly or through other siblings, that is a cycle. A module using the items of
  its parent or of any ancestor, or of its own children, is fine. A reference to a name that an
  ancestor merely imports (`use`) or re-exports is followed to where that name comes from;
* any family of three or more files in one folder named `prefix.rs` / `prefix_*.rs`: such
  families should be a folder `prefix/` instead.

Files under `src/` that no crate root reaches are listed as notes (they do not fail the check).
When everything is clean, it prints a one-line summary.

Usage: scripts/check-modules.py [CRATE_DIR ...]   (default: every crate in the repository)

Python 3.11+ (tomllib), standard library only.
"""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SKIP_DIRS = {"target", ".git", "node_modules", "corpus", "artifacts"}


# --------------------------------------------------------------------------------------------
# Lexing: just enough of Rust to find identifiers and punctuation outside comments and literals.
# --------------------------------------------------------------------------------------------


@dataclass
class Token:
    kind: str  # "ident", "punct", "lit" (string/char/number), "lifetime"
    text: str
    line: int


def _skip_string(src: str, i: int, line: int) -> tuple[int, int]:
    """`src[i]` is the opening quote of a normal (escaped) string; returns the index after it."""
    i += 1
    n = len(src)
    while i < n:
        c = src[i]
        if c == "\\":
            if i + 1 < n and src[i + 1] == "\n":
                line += 1
            i += 2
            continue
        if c == "\n":
            line += 1
        if c == '"':
            return i + 1, line
        i += 1
    return n, line


def _skip_raw_string(src: str, i: int, line: int) -> tuple[int, int] | None:
    """`src[i]` is the `r` of a raw string `r#*"..."#*`; None if it is not one."""
    j = i + 1
    hashes = 0
    while j < len(src) and src[j] == "#":
        hashes += 1
        j += 1
    if j >= len(src) or src[j] != '"':
        return None
    end = '"' + "#" * hashes
    k = src.find(end, j + 1)
    if k < 0:
        k = len(src)
    line += src.count("\n", j, k)
    return k + len(end), line


def tokenize(src: str) -> list[Token]:
    tokens: list[Token] = []
    i, n, line = 0, len(src), 1
    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            i += 1
            continue
        if c.isspace():
            i += 1
            continue
        if src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
            continue
        if src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    if src[j] == "\n":
                        line += 1
                    j += 1
            i = j
            continue
        # Raw strings, byte strings, C strings, byte chars, raw identifiers.
        if c in "rbc":
            prefix_end = i + 1
            if c in "bc" and prefix_end < n and src[prefix_end] == "r":
                prefix_end += 1
            if src[prefix_end - 1] == "r":
                raw = _skip_raw_string(src, prefix_end - 1, line)
                if raw is not None:
                    start_line = line
                    i, line = raw
                    tokens.append(Token("lit", "", start_line))
                    continue
            if c in "bc" and prefix_end == i + 1 and i + 1 < n and src[i + 1] == '"':
                start_line = line
                i, line = _skip_string(src, i + 1, line)
                tokens.append(Token("lit", "", start_line))
                continue
            if c == "b" and i + 1 < n and src[i + 1] == "'":
                j = i + 2
                if j < n and src[j] == "\\":
                    j += 2
                    while j < n and src[j] != "'":
                        j += 1
                else:
                    j += 1
                i = j + 1
                tokens.append(Token("lit", "", line))
                continue
            if c == "r" and src.startswith("r#", i) and i + 2 < n and (
                src[i + 2].isalpha() or src[i + 2] == "_"
            ):
                j = i + 2
                while j < n and (src[j].isalnum() or src[j] == "_"):
                    j += 1
                tokens.append(Token("ident", src[i + 2 : j], line))
                i = j
                continue
        if c == '"':
            start = i
            start_line = line
            i, line = _skip_string(src, i, line)
            tokens.append(Token("lit", src[start + 1 : i - 1], start_line))
            continue
        if c == "'":
            # A char literal ('a', '\n', '\u{1F600}') or a lifetime / label ('a, 'static).
            if i + 1 < n and src[i + 1] == "\\":
                j = i + 2
                while j < n and src[j] != "'":
                    j += 1
                i = j + 1
                tokens.append(Token("lit", "", line))
                continue
            if i + 2 < n and src[i + 2] == "'":
                i += 3
                tokens.append(Token("lit", "", line))
                continue
            j = i + 1
            while j < n and (src[j].isalnum() or src[j] == "_"):
                j += 1
            tokens.append(Token("lifetime", src[i:j], line))
            i = j
            continue
        if c.isalpha() or c == "_":
            j = i + 1
            while j < n and (src[j].isalnum() or src[j] == "_"):
                j += 1
            tokens.append(Token("ident", src[i:j], line))
            i = j
            continue
        if c.isdigit():
            j = i + 1
            while j < n and (src[j].isalnum() or src[j] == "_"):
                j += 1
            tokens.append(Token("lit", src[i:j], line))
            i = j
            continue
        if src.startswith("::", i):
            tokens.append(Token("punct", "::", line))
            i += 2
            continue
        tokens.append(Token("punct", c, line))
        i += 1
    return tokens


# --------------------------------------------------------------------------------------------
# The module tree.
# --------------------------------------------------------------------------------------------

ModPath = tuple[str, ...]


@dataclass
class SourceFile:
    path: Path
    module: ModPath
    tokens: list[Token]
    # The folder of this file's child modules: `foo/` for `foo.rs`, the folder of `mod.rs`.
    child_dir: Path


@dataclass
class ModuleTree:
    """The modules of one crate root (a crate's lib and each binary have their own tree)."""

    root: Path
    files: list[SourceFile] = field(default_factory=list)
    modules: set[ModPath] = field(default_factory=lambda: {()})
    # Modules declared under `#[cfg(test)]`: their references are marked as test code.
    test_modules: set[ModPath] = field(default_factory=set)


@dataclass
class Crate:
    name: str
    dir: Path
    trees: list[ModuleTree] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def finding(self, text: str) -> None:
        if text not in self.findings:
            self.findings.append(text)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def rel(path: Path) -> str:
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def matching_close(tokens: list[Token], i: int) -> int:
    """`tokens[i]` opens a bracket; returns the index of the bracket that closes it."""
    depth = 0
    for j in range(i, len(tokens)):
        t = tokens[j]
        if t.kind == "punct" and t.text in "[({":
            depth += 1
        elif t.kind == "punct" and t.text in "])}":
            depth -= 1
            if depth == 0:
                return j
    return len(tokens) - 1


def matching_open(tokens: list[Token], i: int) -> int:
    """`tokens[i]` closes a bracket; returns the index of the bracket that opens it."""
    depth = 0
    for j in range(i, -1, -1):
        t = tokens[j]
        if t.kind == "punct" and t.text in "])}":
            depth += 1
        elif t.kind == "punct" and t.text in "[({":
            depth -= 1
            if depth == 0:
                return j
    return 0


def path_attribute(tokens: list[Token], start: int, end: int) -> str | None:
    """The value of `path = "..."` in the attribute tokens[start:end] (`[` to `]`), at its top
    level or directly inside `cfg_attr(...)`; None if it has none."""
    for j in range(start + 1, end - 2):
        t = tokens[j]
        if (
            t.kind == "ident"
            and t.text == "path"
            and tokens[j - 1].text in ("[", ",")
            and tokens[j + 1].text == "="
            and tokens[j + 2].kind == "lit"
        ):
            return tokens[j + 2].text
    return None


VISIBILITY = {"pub", "crate", "super", "self", "in", "::", "(", ")"}


def attributes_before(tokens: list[Token], i: int) -> tuple[str | None, bool]:
    """For the item whose keyword is at `i`: the value of its `#[path]` attribute, if any, and
    whether it has `#[cfg(test)]`."""
    path, test = None, False
    j = i - 1
    while j >= 0 and tokens[j].text in VISIBILITY:
        j -= 1
    while j >= 0 and tokens[j].text == "]":
        start = matching_open(tokens, j)
        path = path or path_attribute(tokens, start, j)
        texts = [t.text for t in tokens[start + 1 : j]]
        test = test or texts == ["cfg", "(", "test", ")"]
        j = start - 1
        if j >= 0 and tokens[j].text == "#":
            j -= 1
    return path, test


def scan_attributes(crate: Crate, file: SourceFile) -> None:
    """Reports every `#[path]` attribute of `file`."""
    tokens = file.tokens
    for i, t in enumerate(tokens):
        if t.kind == "punct" and t.text == "#":
            j = i + 1
            if j < len(tokens) and tokens[j].text == "!":
                j += 1
            if j < len(tokens) and tokens[j].text == "[":
                value = path_attribute(tokens, j, matching_close(tokens, j))
                if value is not None:
                    crate.finding(f"{rel(file.path)}:{t.line}: #[path = {value!r}] attribute")


def scan_modules(crate: Crate, tree: ModuleTree, file: SourceFile) -> list[SourceFile]:
    """Finds the `mod` declarations of `file`: inline modules, and the files of the others."""
    tokens = file.tokens
    children: list[SourceFile] = []
    inline: list[tuple[ModPath, int]] = []  # open inline modules: (path, brace depth inside)
    depth = 0
    for i, t in enumerate(tokens):
        current = inline[-1][0] if inline else file.module
        if t.kind == "punct" and t.text == "{":
            depth += 1
        elif t.kind == "punct" and t.text == "}":
            if inline and inline[-1][1] == depth:
                inline.pop()
            depth -= 1
        if not (t.kind == "ident" and t.text == "mod" and i + 2 < len(tokens)):
            continue
        name, after = tokens[i + 1], tokens[i + 2]
        if name.kind != "ident" or after.text not in ("{", ";"):
            continue
        module = current + (name.text,)
        tree.modules.add(module)
        attribute, test = attributes_before(tokens, i)
        if test:
            tree.test_modules.add(module)
        if after.text == "{":
            inline.append((module, depth + 1))
            continue
        if attribute is not None:
            candidates = [file.path.parent / attribute]
        else:
            base = file.child_dir.joinpath(*(p[-1] for p, _ in inline))
            candidates = [base / f"{name.text}.rs", base / name.text / "mod.rs"]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            crate.note(f"{rel(file.path)}:{name.line}: `mod {name.text};` has no file")
            continue
        found = found.resolve()
        if found.name == "mod.rs" or attribute is not None:
            child_dir = found.parent
        else:
            child_dir = found.parent / found.stem
        text = found.read_text(encoding="utf-8", errors="replace")
        children.append(SourceFile(found, module, tokenize(text), child_dir))
    return children


def load_tree(crate: Crate, root: Path) -> ModuleTree:
    tree = ModuleTree(root)
    text = root.read_text(encoding="utf-8", errors="replace")
    queue = [SourceFile(root, (), tokenize(text), root.parent)]
    seen: set[Path] = set()
    while queue:
        file = queue.pop()
        if file.path in seen:
            continue
        seen.add(file.path)
        tree.files.append(file)
        scan_attributes(crate, file)
        queue.extend(scan_modules(crate, tree, file))
    return tree


def load_crate(crate: Crate, roots: list[Path]) -> None:
    reached: set[Path] = set()
    for root in roots:
        tree = load_tree(crate, root)
        crate.trees.append(tree)
        reached.update(f.path for f in tree.files)
    for dirpath, dirnames, filenames in os.walk(crate.dir / "src"):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for f in sorted(filenames):
            p = (Path(dirpath) / f).resolve()
            if f.endswith(".rs") and p not in reached:
                crate.note(f"{rel(p)}: not part of any module tree")


# --------------------------------------------------------------------------------------------
# References between modules.
# --------------------------------------------------------------------------------------------


@dataclass
class Reference:
    module: ModPath  # where the reference is written
    target: list[str]  # absolute path: modules, then item names
    file: Path
    line: int


class RefScanner:
    """Collects the `use` trees and anchored paths of one file, and its modules' imports."""

    def __init__(self, file: SourceFile, tree_modules: set[ModPath]):
        self.file = file
        self.tokens = file.tokens
        self.modules = tree_modules
        self.refs: list[Reference] = []
        # module -> imported name -> absolute path
        self.imports: dict[ModPath, dict[str, list[str]]] = {}

    def anchor(self, module: ModPath, segments: list[str]) -> list[str] | None:
        """The absolute path of `segments` written in `module`, or None if not in this crate."""
        if not segments:
            return None
        first = segments[0]
        if first == "crate":
            return segments[1:]
        if first in ("super", "self"):
            base = list(module)
            k = 0
            while k < len(segments) and segments[k] in ("super", "self"):
                if segments[k] == "super":
                    if not base:
                        return None
                    base.pop()
                k += 1
            return base + segments[k:]
        if tuple(module) + (first,) in self.modules:
            return list(module) + segments
        return None

    def parse_path(self, i: int) -> tuple[list[str], int]:
        """Segments `a::b::c` from tokens[i]; returns them and the index after the last one."""
        segments = [self.tokens[i].text]
        i += 1
        while (
            i + 1 < len(self.tokens)
            and self.tokens[i].text == "::"
            and self.tokens[i + 1].kind == "ident"
        ):
            segments.append(self.tokens[i + 1].text)
            i += 2
        return segments, i

    def parse_use_tree(self, i: int, prefix: list[str], out: list) -> int:
        """Parses one use tree at tokens[i]; appends (path, bound name or None, line)."""
        tokens = self.tokens
        if i < len(tokens) and tokens[i].text == "::":
            i += 1
        if i < len(tokens) and tokens[i].text == "*":
            out.append((prefix, None, tokens[i].line))
            return i + 1
        if i < len(tokens) and tokens[i].text == "{":
            i += 1
            while i < len(tokens) and tokens[i].text != "}":
                if tokens[i].text == ",":
                    i += 1
                    continue
                before = i
                i = self.parse_use_tree(i, prefix, out)
                if i == before:
                    i += 1
            return i + 1
        if i >= len(tokens) or tokens[i].kind != "ident":
            return i
        segments, i = self.parse_path(i)
        if segments == ["self"] and prefix:
            path = prefix
        else:
            path = prefix + segments
        if i < len(tokens) and tokens[i].text == "::":
            return self.parse_use_tree(i + 1, path, out)
        name = path[-1] if path else None
        if i + 1 < len(tokens) and tokens[i].text == "as" and tokens[i + 1].kind in ("ident",):
            name = tokens[i + 1].text
            i += 2
        out.append((path, name, tokens[i - 1].line if i else 0))
        return i

    def scan(self) -> None:
        tokens = self.tokens
        stack: list[tuple[ModPath, int]] = []
        depth = 0
        i = 0
        while i < len(tokens):
            t = tokens[i]
            current = stack[-1][0] if stack else self.file.module
            if t.kind == "ident" and t.text == "mod" and i + 2 < len(tokens):
                if tokens[i + 1].kind == "ident" and tokens[i + 2].text == "{":
                    depth += 1
                    stack.append((current + (tokens[i + 1].text,), depth))
                    i += 3
                    continue
            if t.kind == "punct" and t.text == "{":
                depth += 1
            elif t.kind == "punct" and t.text == "}":
                if stack and stack[-1][1] == depth:
                    stack.pop()
                depth -= 1
            elif t.kind == "ident" and t.text == "use":
                prev = tokens[i - 1].text if i else ""
                if prev not in ("::", "."):
                    leaves: list = []
                    end = self.parse_use_tree(i + 1, [], leaves)
                    for path, name, line in leaves:
                        absolute = self.anchor(current, path)
                        if absolute is None:
                            continue
                        self.refs.append(Reference(current, absolute, self.file.path, line))
                        if name is not None and name != "self":
                            self.imports.setdefault(current, {})[name] = absolute
                    # Skip the tree; braces inside it are balanced and not blocks.
                    while end < len(tokens) and tokens[end].text != ";":
                        end += 1
                    i = end + 1
                    continue
            elif (
                t.kind == "ident"
                and t.text in ("crate", "super", "self")
                and i + 2 < len(tokens)
                and tokens[i + 1].text == "::"
                and tokens[i + 2].kind == "ident"
            ):
                prev = tokens[i - 1].text if i else ""
                if prev not in ("::", "$"):
                    segments, end = self.parse_path(i)
                    absolute = self.anchor(current, segments)
                    if absolute is not None:
                        self.refs.append(Reference(current, absolute, self.file.path, t.line))
                    i = end
                    continue
            i += 1


def module_part(path: list[str], modules: set[ModPath]) -> tuple[ModPath, list[str]]:
    """Splits an absolute path into its longest module prefix and the item names after it."""
    cur: ModPath = ()
    for k, segment in enumerate(path):
        if cur + (segment,) in modules:
            cur = cur + (segment,)
        else:
            return cur, path[k:]
    return cur, []


def is_prefix(a: ModPath, b: ModPath) -> bool:
    return b[: len(a)] == a


def edges_of(
    refs: list[Reference],
    modules: set[ModPath],
    imports: dict[ModPath, dict[str, list[str]]],
) -> dict[ModPath, dict[tuple[str, str], Reference]]:
    """level -> (from child, to child) -> first reference that makes the edge."""
    edges: dict[ModPath, dict[tuple[str, str], Reference]] = {}
    for ref in refs:
        target = ref.target
        for _ in range(16):  # follow imports and re-exports of ancestors
            mod, rest = module_part(target, modules)
            if not is_prefix(mod, ref.module) or not rest:
                break
            imported = imports.get(mod, {}).get(rest[0])
            if imported is None or imported == target:
                break
            target = imported + rest[1:]
        mod, _rest = module_part(target, modules)
        if is_prefix(mod, ref.module) or is_prefix(ref.module, mod):
            continue  # an ancestor's item, the module itself, or one of its descendants
        common = 0
        while ref.module[common] == mod[common]:
            common += 1
        level = ref.module[:common]
        pair = (ref.module[common], mod[common])
        edges.setdefault(level, {}).setdefault(pair, ref)
    return edges


def find_cycles(
    nodes: set[str], graph: dict[str, set[str]]
) -> list[tuple[list[str], list[str]]]:
    """For each strongly connected component of more than one node: one cycle through it (as
    a closed list of nodes) and the component's other nodes."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = [0]

    def strongconnect(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in sorted(nodes):
        if v not in index:
            strongconnect(v)

    cycles = []
    for component in components:
        members = set(component)
        start = component[0]
        # Breadth-first from start's successors back to start, inside the component.
        parents: dict[str, str | None] = {}
        frontier = [w for w in sorted(graph.get(start, ())) if w in members]
        for w in frontier:
            parents[w] = None
        found = start in parents
        while frontier and not found:
            nxt = []
            for v in frontier:
                for w in sorted(graph.get(v, ())):
                    if w in members and w not in parents:
                        parents[w] = v
                        nxt.append(w)
                        if w == start:
                            found = True
            frontier = nxt
        path = [start]
        v: str | None = parents.get(start)
        while v is not None:
            path.append(v)
            v = parents.get(v)
        path.append(start)
        cycle = [start] + list(reversed(path[1:-1])) + [start]
        cycles.append((cycle, sorted(members - set(cycle))))
    return cycles


def check_references(crate: Crate) -> int:
    """Adds the cycle findings of `crate`; returns the number of modules."""
    total = 0
    for tree in crate.trees:
        total += len(tree.modules)
        refs: list[Reference] = []
        imports: dict[ModPath, dict[str, list[str]]] = {}
        for file in tree.files:
            scanner = RefScanner(file, tree.modules)
            scanner.scan()
            refs.extend(scanner.refs)
            for module, names in scanner.imports.items():
                imports.setdefault(module, {}).update(names)
        for level, pairs in sorted(edges_of(refs, tree.modules, imports).items()):
            graph: dict[str, set[str]] = {}
            nodes: set[str] = set()
            for a, b in pairs:
                graph.setdefault(a, set()).add(b)
                nodes.update((a, b))
            for cycle, others in find_cycles(nodes, graph):
                where = "crate" if not level else "crate::" + "::".join(level)
                steps = []
                for a, b in zip(cycle, cycle[1:]):
                    ref = pairs[(a, b)]
                    test = any(is_prefix(m, ref.module) for m in tree.test_modules)
                    kind = " in test code" if test else ""
                    steps.append(f"{rel(ref.file)}:{ref.line} ({a} uses {b}{kind})")
                extra = f" (and {', '.join(others)} in the same cycle)" if others else ""
                crate.finding(
                    f"module cycle in {where} of {rel(tree.root)}: "
                    f"{' -> '.join(cycle)}{extra}: " + "; ".join(steps)
                )
    return total


# --------------------------------------------------------------------------------------------
# Name-prefix families.
# --------------------------------------------------------------------------------------------


def check_prefix_families(crate: Crate) -> None:
    src = crate.dir / "src"
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        stems = sorted(f[:-3] for f in filenames if f.endswith(".rs"))
        prefixes = sorted({s.split("_", 1)[0] for s in stems if "_" in s.strip("_")})
        for prefix in prefixes:
            family = [s for s in stems if s == prefix or s.startswith(prefix + "_")]
            if len(family) >= 3:
                folder = rel(Path(dirpath))
                files = ", ".join(f"{s}.rs" for s in family)
                crate.findings.append(
                    f"{folder}: {len(family)} files share the prefix `{prefix}_` ({files}); "
                    f"make them a folder `{prefix}/`"
                )


# --------------------------------------------------------------------------------------------
# Crates.
# --------------------------------------------------------------------------------------------


def crate_roots(crate_dir: Path) -> list[Path]:
    src = crate_dir / "src"
    roots: list[Path] = []
    manifest: dict = {}
    try:
        manifest = tomllib.loads((crate_dir / "Cargo.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        pass
    lib = manifest.get("lib", {}).get("path")
    roots.append(crate_dir / lib if lib else src / "lib.rs")
    bins = manifest.get("bin", [])
    for b in bins:
        if b.get("path"):
            roots.append(crate_dir / b["path"])
    roots.append(src / "main.rs")
    if manifest.get("package", {}).get("autobins", True):
        bin_dir = src / "bin"
        if bin_dir.is_dir():
            for entry in sorted(bin_dir.iterdir()):
                if entry.suffix == ".rs":
                    roots.append(entry)
                elif (entry / "main.rs").is_file():
                    roots.append(entry / "main.rs")
    unique: list[Path] = []
    for root in roots:
        resolved = root.resolve()
        # Only roots inside src/ are this check's business.
        if resolved.is_file() and is_under(resolved, src.resolve()) and resolved not in unique:
            unique.append(resolved)
    return unique


def is_under(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def find_crates() -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(REPO):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        if "Cargo.toml" in filenames and os.path.isdir(os.path.join(dirpath, "src")):
            found.append(Path(dirpath))
    return found


def main(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return 0
    dirs = [Path(a).resolve() for a in argv] if argv else find_crates()
    failed = False
    modules = 0
    crates = 0
    for crate_dir in dirs:
        roots = crate_roots(crate_dir)
        if not roots:
            continue
        crates += 1
        crate = Crate(rel(crate_dir), crate_dir)
        load_crate(crate, roots)
        modules += check_references(crate)
        check_prefix_families(crate)
        for note in crate.notes:
            print(f"note: {crate.name}: {note}")
        if crate.findings:
            failed = True
            print(f"{crate.name}: {len(crate.findings)} problem(s)")
            for finding in crate.findings:
                print(f"  {finding}")
    if failed:
        return 1
    print(
        f"check-modules: {crates} crates, {modules} modules: no #[path], "
        "no module cycles, no prefix families"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
