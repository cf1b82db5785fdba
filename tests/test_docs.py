"""The shipped tree cites only its own documentation, and every such citation and markdown link resolves.

Checks: no shipped file names the background documents outside the repository; every
``docs/<file>.md#<anchor>`` found in the tree is a heading of that file (GitHub's anchor rule); every
relative markdown link in README.md and docs/*.md points at an existing file (and heading)."""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("generator", "benchmark", "models", "assets", "synta", "docs", "README.md", "pyproject.toml")
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".toml", ".txt", ".csv", ".json", ".cfg", ".ini", ".sh"}
# Names of the background documents that live outside the repository; the shipped tree must not lean on them.
FORBIDDEN = (re.compile(r"SYNTA_REFERENCE"), re.compile(r"DESIGN §"), re.compile(r"\.\./shared\b"))
DOC_ANCHOR = re.compile(r"docs/([\w.-]+\.md)#([\w-]+)")
MD_LINK = re.compile(r"!?\[[^\]\n]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


def shipped_files() -> list[Path]:
    """Every text file of the shipped tree (sources, assets, docs, README.md, pyproject.toml)."""
    files: list[Path] = []
    for name in SHIPPED:
        path = ROOT / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(p for p in sorted(path.rglob("*"))
                         if p.is_file() and p.suffix in TEXT_SUFFIXES and "__pycache__" not in p.parts)
    return files


def github_anchor(heading: str) -> str:
    """GitHub's anchor for a heading: inline markup dropped, lower case, punctuation removed, spaces -> hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading contributes its text
    text = text.replace("`", "").replace("*", "").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    """The anchors of a markdown file's headings (outside code fences), with GitHub's -1, -2 for repeats."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        match = None if fenced else HEADING.match(line)
        if match:
            base = github_anchor(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return frozenset(found)


def test_github_anchor_rule():
    assert github_anchor("Sidecar schema") == "sidecar-schema"
    assert github_anchor("What the reference does") == "what-the-reference-does"
    assert github_anchor("`synta render` (CPU, 2 cores)") == "synta-render-cpu-2-cores"


def test_no_citation_of_background_documents():
    offenders = []
    for path in shipped_files():
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if any(pattern.search(line) for pattern in FORBIDDEN):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "cite docs/ instead:\n" + "\n".join(offenders)


def test_doc_anchors_resolve():
    broken, cited = [], 0
    for path in shipped_files():
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            for name, anchor in DOC_ANCHOR.findall(line):
                cited += 1
                target = ROOT / "docs" / name
                if not target.is_file():
                    broken.append(f"{path.relative_to(ROOT)}:{number}: docs/{name} does not exist")
                elif anchor not in anchors(target):
                    broken.append(f"{path.relative_to(ROOT)}:{number}: docs/{name} has no heading #{anchor}")
    assert cited > 0, "the tree cites no docs/<file>.md#anchor, so this test checks nothing"
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize("doc", ["README.md", *sorted(p.relative_to(ROOT).as_posix()
                                                    for p in (ROOT / "docs").glob("*.md"))])
def test_relative_links_resolve(doc):
    path = ROOT / doc
    broken = []
    fenced = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if fenced:
            continue  # code, where brackets and parentheses are not links
        for target in MD_LINK.findall(line):
            if re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
                continue  # an absolute URL (https:, mailto:) is not a file of the repository
            file_part, _, anchor = target.partition("#")
            resolved = (path.parent / file_part).resolve() if file_part else path
            if not resolved.exists():
                broken.append(f"{doc}:{number}: {target} -> no such file")
            elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
                broken.append(f"{doc}:{number}: {target} -> no heading #{anchor}")
    assert not broken, "\n".join(broken)
