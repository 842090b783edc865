"""A tiny DOM from ``html.parser`` (stdlib), enough to ask the report page structured questions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    def iter(self, tag: str | None = None, **attrs: str) -> Iterator[Node]:
        """This node and every descendant with ``tag`` whose attributes contain ``attrs`` (class as a word)."""
        if (tag is None or self.tag == tag) and all(self._has(name, value) for name, value in attrs.items()):
            yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter(tag, **attrs)

    def _has(self, name: str, value: str) -> bool:
        name = name.rstrip("_").replace("_", "-")
        actual = self.attrs.get(name)
        if actual is None:
            return False
        return value in actual.split() if name == "class" else actual == value

    def find(self, tag: str | None = None, **attrs: str) -> Node:
        for node in self.iter(tag, **attrs):
            return node
        raise LookupError(f"no <{tag}> with {attrs}")

    @property
    def text(self) -> str:
        return "".join(child if isinstance(child, str) else child.text for child in self.children)


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root
