"""Reading Dash component trees in tests."""

from __future__ import annotations

from typing import Any


def walk(component: Any):
    """Every component in the tree under `component` (itself included)."""
    if isinstance(component, list | tuple):
        for item in component:
            yield from walk(item)
        return
    if component is None or isinstance(component, str | int | float):
        return
    yield component
    yield from walk(getattr(component, "children", None))


def find(component: Any, element_id: str) -> Any:
    """The component with `element_id`. Raises LookupError if there is none."""
    for item in walk(component):
        if getattr(item, "id", None) == element_id:
            return item
    raise LookupError(element_id)


def text_of(component: Any) -> str:
    """All the text under `component`."""
    parts = []
    for item in walk(component):
        children = getattr(item, "children", None)
        for child in children if isinstance(children, list | tuple) else [children]:
            if isinstance(child, str | int | float):
                parts.append(str(child).strip())
    return " ".join(parts)
