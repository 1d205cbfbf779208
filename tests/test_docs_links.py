"""README.md and docs/*.md are self-contained: every relative link resolves to a file in the repository.

Someone who clones the repository has nothing outside it, so no page may point at
``../shared`` or at any other path that leaves the repository, and every relative link
``[text](path)`` (``#anchor`` stripped; http(s) and mailto links ignored) must name a file
or folder that exists in it.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)  # fenced code blocks
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)  # `code` and ``code``: their text is not a link
INLINE_LINK = re.compile(r"\[[^\]\n]*\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'(][^)]*)?\)")  # [text](target "title"), ![img](target)
REFERENCE_DEF = re.compile(r"^ {0,3}\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s.*)?$", re.MULTILINE)  # [ref]: target
EXTERNAL = ("http://", "https://", "mailto:")


def _name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def links(text: str) -> list[str]:
    """Every link target in markdown text, outside code blocks and code spans."""
    prose = CODE_SPAN.sub("", FENCE.sub("", text))
    return INLINE_LINK.findall(prose) + REFERENCE_DEF.findall(prose)


def leaves_repository(page: Path, target: str) -> bool:
    """True when a relative target resolves outside ROOT (or is an absolute or file: path)."""
    path = unquote(target.split("#", 1)[0])
    if not path:
        return False  # "#anchor": this page
    if path.startswith(("/", "~", "file:", "\\")) or re.match(r"[A-Za-z]:[\\/]", path):
        return True
    resolved = (page.parent / path).resolve()
    return not resolved.is_relative_to(ROOT)


def test_there_are_pages_and_links_to_check():
    names = [_name(page) for page in PAGES]
    assert "README.md" in names and "docs/README.md" in names, names
    # The checks below would pass vacuously if link extraction found nothing.
    assert "docs/README.md" in links((ROOT / "README.md").read_text(encoding="utf-8"))


def test_link_extraction():
    text = (
        "See [the docs](docs/README.md#top), ![a figure](img/x.png 'title') and [site](https://example.org).\n"
        "Not links: `[x](in/code.md)` and\n```\n[y](in/fence.md)\n```\n[ref]: ../outside.md\n"
    )
    assert links(text) == ["docs/README.md#top", "img/x.png", "https://example.org", "../outside.md"]
    assert leaves_repository(ROOT / "README.md", "../outside.md")
    assert leaves_repository(ROOT / "docs" / "README.md", "../../shared/SPEC.md")
    assert leaves_repository(ROOT / "README.md", "/etc/passwd")
    assert not leaves_repository(ROOT / "docs" / "README.md", "../README.md#quick-start")
    assert not leaves_repository(ROOT / "README.md", "#usage")


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_nothing_points_outside_the_repository(page):
    text = page.read_text(encoding="utf-8")
    assert "../shared" not in text, f"{_name(page)} mentions ../shared, which a clone does not have"
    outside = [t for t in links(text) if not t.startswith(EXTERNAL) and leaves_repository(page, t)]
    assert not outside, f"{_name(page)} links outside the repository: {outside}"


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_relative_link_resolves(page):
    broken = []
    for target in links(page.read_text(encoding="utf-8")):
        path = unquote(target.split("#", 1)[0])
        if not path or target.startswith(EXTERNAL) or leaves_repository(page, target):
            continue  # this page's own anchors; the web; outside links fail the test above
        if not (page.parent / path).exists():
            broken.append(target)
    assert not broken, f"{_name(page)} has links to files that do not exist: {broken}"


def test_the_docs_index_lists_every_page():
    index = ROOT / "docs" / "README.md"
    listed = {(index.parent / unquote(t.split("#", 1)[0])).resolve() for t in links(index.read_text(encoding="utf-8"))}
    missing = [_name(page) for page in PAGES if page.parent == index.parent and page != index and page.resolve() not in listed]
    assert not missing, f"docs/README.md does not list {missing}"
