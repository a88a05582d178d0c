"""The request context as policies see it, and policy variables (``${aws:username}``) resolved against it.

AWS condition keys are case-insensitive, so the context is looked up case-insensitively. A key the
context lacks is *absent* when the context is complete (the policy simulator's view: the request
carries exactly these keys) and *unknown* otherwise (analysis: the request could carry it), except
keys the caller lists as known to be absent (``aws:username`` for a role session, say).

Policy variables are only substituted in documents of Version ``2012-10-17``; in ``2008-10-17``
documents ``${...}`` is literal text, as in AWS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Collection, Mapping

VARIABLES_VERSION = "2012-10-17"

# Stand-ins for "*" and "?" that a variable produced: literal characters, never wildcards.
LITERAL_STAR = "\ue000"
LITERAL_QUESTION = "\ue001"

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"\s*([^,]+?)\s*,\s*'([^']*)'\s*\Z")
_ESCAPES = {"*": LITERAL_STAR, "?": LITERAL_QUESTION, "$": "$"}

PRESENT, ABSENT, UNKNOWN = "present", "absent", "unknown"


def _as_values(value: Any) -> tuple[str, ...]:
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(_scalar(v) for v in value)
    return (_scalar(value),)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class ContextView:
    """A request context: keys looked up case-insensitively, each present, absent or unknown.

    Values may be strings, numbers, booleans or lists of them; an empty list counts as absent (AWS
    treats an empty multivalued key like a missing one).
    """

    __slots__ = ("complete", "_values", "_absent")

    def __init__(self, context: Mapping[str, Any], *, complete: bool, absent: Collection[str] = ()):
        self.complete = complete
        self._values: dict[str, tuple[str, ...]] = {}
        for key, value in context.items():
            values = _as_values(value)
            if values:
                self._values[key.lower()] = values
        self._absent = frozenset(key.lower() for key in absent)

    def lookup(self, key: str) -> tuple[str, tuple[str, ...]]:
        """(PRESENT, values), (ABSENT, ()) or (UNKNOWN, ())."""
        values = self._values.get(key.lower())
        if values is not None:
            return PRESENT, values
        if self.complete or key.lower() in self._absent:
            return ABSENT, ()
        return UNKNOWN, ()

    def with_defaults(self, defaults: Mapping[str, Any], absent: Collection[str] = ()) -> "ContextView":
        """A view that also holds ``defaults`` for keys this one lacks, and more known-absent keys."""
        view = ContextView({}, complete=self.complete, absent=())
        view._values = dict(self._values)
        for key, value in defaults.items():
            values = _as_values(value)
            if values and key.lower() not in view._values:
                view._values[key.lower()] = values
        view._absent = self._absent | {key.lower() for key in absent if key.lower() not in view._values}
        return view


def as_view(context: Mapping[str, Any] | ContextView, context_complete: bool) -> ContextView:
    return context if isinstance(context, ContextView) else ContextView(context, complete=context_complete)


@dataclass(frozen=True, slots=True)
class Substitution:
    """``text`` with every variable replaced, or ``None`` when a variable has no value.

    When ``text`` is None, ``missing`` names the unknown keys: empty means a key is absent (the
    element cannot match), non-empty means the result depends on those keys.
    """

    text: str | None
    missing: tuple[str, ...] = ()


def substitute_pattern(text: str, view: ContextView, version: str = VARIABLES_VERSION) -> Substitution:
    """Replace policy variables; ``*`` and ``?`` that come from a variable become LITERAL_STAR and
    LITERAL_QUESTION so that wildcard matching treats them as plain characters."""
    if version != VARIABLES_VERSION or "${" not in text:
        return Substitution(text)
    missing: list[str] = []
    absent = False
    parts: list[str] = []
    position = 0
    for match in _VARIABLE.finditer(text):
        parts.append(text[position:match.start()])
        position = match.end()
        body = match.group(1)
        if body in _ESCAPES:
            parts.append(_ESCAPES[body])
            continue
        default_match = _DEFAULT.match(body)
        key, default = (default_match.group(1), default_match.group(2)) if default_match else (body.strip(), None)
        state, values = view.lookup(key)
        if state == PRESENT and len(values) == 1:
            value = values[0]
        elif state == PRESENT:
            # AWS does not substitute a multivalued key: the element matches nothing.
            absent = True
            continue
        elif state == ABSENT and default is not None:
            value = default
        elif state == ABSENT:
            absent = True
            continue
        else:
            missing.append(key)
            continue
        parts.append(value.replace("*", LITERAL_STAR).replace("?", LITERAL_QUESTION))
    parts.append(text[position:])
    if missing:
        return Substitution(None, tuple(dict.fromkeys(missing)))
    if absent:
        return Substitution(None)
    return Substitution("".join(parts))


def substitute(
    text: str,
    context: Mapping[str, Any] | ContextView,
    *,
    context_complete: bool,
    version: str = VARIABLES_VERSION,
) -> str | None:
    """``text`` with ``${key}``, ``${key, 'default'}``, ``${*}``, ``${?}`` and ``${$}`` replaced.

    Returns None when a variable has no value: its key is absent with no default (such an element
    matches nothing in AWS), unknown in an incomplete context, or multivalued.
    """
    result = substitute_pattern(text, as_view(context, context_complete), version)
    if result.text is None:
        return None
    return result.text.replace(LITERAL_STAR, "*").replace(LITERAL_QUESTION, "?")
