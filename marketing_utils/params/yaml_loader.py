"""Reading a params file's YAML safely: no duplicate keys, no alias bombs.

Private to :mod:`marketing_utils.params.file`. PyYAML's ``safe_load`` keeps the
last of two equal keys without a word, and builds an alias (``*name``) as a
shared object that any later copy expands: a few hundred bytes of nested
aliases become billions of values. This loader refuses both, with the line.
"""

from __future__ import annotations

import yaml

__all__ = ["MAX_VALUES", "ParamsYamlError", "load_params_yaml"]

#: Most values (scalars, lists, mappings) a params file may expand to, aliases included.
MAX_VALUES = 100_000


class ParamsYamlError(ValueError):
    """The YAML parses but is not acceptable as a params file; the message says why."""


def _where(mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""


class _ParamsLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: the constructor says so
                    continue
                if first is not None:
                    raise ParamsYamlError(
                        f"{_where(key_node.start_mark)}duplicate key {key!r} (first at line "
                        f"{first.line + 1}); expected each key once in a mapping, found it twice"
                    )
                seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def _expanded_size(node, sizes: dict) -> int:
    """Number of values the node expands to, each alias counted in full."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = 1  # a recursive alias counts once (PyYAML builds it as a cycle)
    total = 1
    if isinstance(node, yaml.SequenceNode):
        total += sum(_expanded_size(child, sizes) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        total += sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value)
    sizes[id(node)] = total
    return total


def load_params_yaml(text: str):
    """Parse a params file's text.

    Raises
    ------
    yaml.YAMLError
        The text is not valid YAML.
    ParamsYamlError
        A mapping repeats a key, or aliases expand to more than
        :data:`MAX_VALUES` values.
    """
    loader = _ParamsLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node, {})
        if size > MAX_VALUES:
            raise ParamsYamlError(
                f"expected at most {MAX_VALUES:,} values once aliases (*name) are expanded, "
                "found more (aliases nested inside aliases); write the values out instead"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()
