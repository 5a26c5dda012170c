"""Name the changes between two JSON Schemas of one event version that break it.

Producers and consumers of a version upgrade one at a time, and dead letters
are replayed long after they were written, so a published version must read
the same both ways: messages valid under the old schema stay valid under the
new one, and messages written under the new one still validate under the old.
Only two kinds of change keep that promise here: a new optional field (older
consumers ignore fields they do not know) and annotations such as titles,
descriptions and defaults. Anything else needs a new version:

- a field removed, a new required field, a field made required or optional;
- a type changed, narrowed or widened (`null` allowed or refused included);
- an enum value removed or added;
- a bound (`minLength`, `maximum`, ...) or `pattern` or `format` changed.

`incompatibilities` is pure: two schemas in, readable problems out. It follows
local `$ref`s into `$defs` and walks properties, array items and the branches
of `anyOf` / `oneOf`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Schema = Mapping[str, Any]
_Seen = frozenset[tuple[str | None, str | None]]

_LOWER_BOUNDS = ("minLength", "minItems", "minimum", "exclusiveMinimum")
_UPPER_BOUNDS = ("maxLength", "maxItems", "maximum", "exclusiveMaximum")
_EXACT = ("pattern", "format", "multipleOf", "uniqueItems")


def incompatibilities(old: Schema, new: Schema) -> list[str]:
    """The breaking changes from `old` to `new`, one readable line each."""
    return _Comparison(old, new).compare(old, new, "", frozenset())


@dataclass(frozen=True)
class _Comparison:
    old_root: Schema
    new_root: Schema

    def compare(self, old: Schema, new: Schema, path: str, seen: _Seen) -> list[str]:
        refs = (old.get("$ref"), new.get("$ref"))
        if refs in seen:
            return []
        if refs != (None, None):
            seen |= {refs}
        old, new = _resolve(self.old_root, old), _resolve(self.new_root, new)
        before, after = _type_text(self.old_root, old), _type_text(self.new_root, new)
        if before != after:
            return [f"{_where(path)}: type changed from {before} to {after}"]
        if _is_union(old) or _is_union(new):
            return self.compare_branches(old, new, path, seen)
        return [
            *_allowed_values(old, new, path),
            *_constraints(old, new, path),
            *self.compare_fields(old, new, path, seen),
            *self.compare_children(old, new, path, seen),
        ]

    def compare_branches(
        self, old: Schema, new: Schema, path: str, seen: _Seen
    ) -> list[str]:
        problems: list[str] = []
        for before in _alternatives(old):
            after = self.counterpart(before, new)
            problems += self.compare(before, after, path, seen)
        return problems

    def counterpart(self, branch: Schema, new: Schema) -> Schema:
        """The branch of `new` that stands for `branch` of the old schema.

        That is one of the same type, and of the same title among several.
        """
        wanted = _resolve(self.old_root, branch)
        kind, title = _type_text(self.old_root, wanted), wanted.get("title")
        candidates = [
            candidate
            for candidate in _alternatives(new)
            if _type_text(self.new_root, _resolve(self.new_root, candidate)) == kind
        ]
        titled = [
            candidate
            for candidate in candidates
            if _resolve(self.new_root, candidate).get("title") == title
        ]
        return (titled or candidates or _alternatives(new))[0]

    def compare_fields(
        self, old: Schema, new: Schema, path: str, seen: _Seen
    ) -> list[str]:
        old_fields, new_fields = old.get("properties", {}), new.get("properties", {})
        problems = _required_changes(old, new, path)
        for name, before in old_fields.items():
            field = _join(path, name)
            if name not in new_fields:
                problems.append(f"{field}: field removed")
            else:
                problems += self.compare(before, new_fields[name], field, seen)
        return problems

    def compare_children(
        self, old: Schema, new: Schema, path: str, seen: _Seen
    ) -> list[str]:
        problems: list[str] = []
        for keyword, suffix in (("items", "[]"), ("additionalProperties", "{}")):
            before, after = old.get(keyword), new.get(keyword)
            if isinstance(before, Mapping) and isinstance(after, Mapping):
                problems += self.compare(before, after, path + suffix, seen)
        return problems


def _resolve(root: Schema, node: Schema) -> Schema:
    """Follow local `$ref`s; keywords beside a `$ref` win over its target's."""
    while "$ref" in node:
        target: Any = root
        for part in _ref_parts(node["$ref"]):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _ref_parts(ref: str) -> list[str]:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref are supported, not {ref!r}")
    return ref[2:].split("/")


def _is_union(node: Schema) -> bool:
    return "anyOf" in node or "oneOf" in node


def _alternatives(node: Schema) -> list[Schema]:
    return list(node.get("anyOf") or node.get("oneOf") or [node])


def _type_text(root: Schema, node: Schema) -> str:
    return " | ".join(sorted(_type_names(root, node)))


def _type_names(root: Schema, node: Schema) -> set[str]:
    if _is_union(node):
        return {
            name
            for branch in _alternatives(node)
            for name in _type_names(root, _resolve(root, branch))
        }
    declared = node.get("type")
    if isinstance(declared, str):
        return {declared}
    if declared:
        return set(declared)
    return {"object"} if "properties" in node else {"any"}


def _required_changes(old: Schema, new: Schema, path: str) -> list[str]:
    before, after = set(old.get("required", ())), set(new.get("required", ()))
    known, kept = old.get("properties", {}), new.get("properties", {})
    problems = [
        f"{_join(path, name)}: "
        + ("field made required" if name in known else "new required field")
        for name in sorted(after - before)
    ]
    problems += [
        f"{_join(path, name)}: field made optional"
        for name in sorted(before - after)
        if name in kept
    ]
    return problems


def _allowed_values(old: Schema, new: Schema, path: str) -> list[str]:
    before, after = _enumeration(old), _enumeration(new)
    if before == after:
        return []
    if before is None or after is None:
        return [
            f"{_where(path)}: allowed values changed "
            f"from {_shown(before)} to {_shown(after)}"
        ]
    removed = [value for value in before if value not in after]
    added = [value for value in after if value not in before]
    problems = []
    if removed:
        problems.append(f"{_where(path)}: enum value removed: {removed}")
    if added:
        problems.append(f"{_where(path)}: enum value added: {added}")
    return problems


def _enumeration(node: Schema) -> list[Any] | None:
    if "const" in node:
        return [node["const"]]
    values = node.get("enum")
    return None if values is None else list(values)


def _constraints(old: Schema, new: Schema, path: str) -> list[str]:
    problems = []
    for keyword in _LOWER_BOUNDS + _UPPER_BOUNDS + _EXACT:
        before, after = old.get(keyword), new.get(keyword)
        if before != after:
            change = _direction(keyword, before, after)
            problems.append(
                f"{_where(path)}: {keyword} {change} "
                f"from {_shown(before)} to {_shown(after)}"
            )
    return problems


def _direction(keyword: str, before: Any, after: Any) -> str:
    if keyword in _EXACT:
        return "changed"
    if before is None or after is None:
        return "tightened" if before is None else "loosened"
    stricter = after > before if keyword in _LOWER_BOUNDS else after < before
    return "tightened" if stricter else "loosened"


def _shown(value: Any) -> str:
    return "none" if value is None else str(value)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _where(path: str) -> str:
    return path or "(root)"
