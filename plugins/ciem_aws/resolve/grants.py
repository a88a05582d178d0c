"""Effective identity-side permissions of one principal, layer by layer, as AWS evaluates them.

A principal's allows are the union of its identity-policy statements (inline, attached managed at
the default version, its groups'), each intersected with the permission boundary (when set) and
with every SCP level on its account's OU path (root first; not for the management account nor
service-linked roles). Intersecting two statements ands their action bitsets and adds the outer
statement's Resource as an ``also`` clause (NotResource as ``exclude``). Explicit denies of every
layer are then subtracted where they cover an allow's resources; the others stay as deny items.

Conditions are decided against what is known of the principal (its ARN, account, organization,
tags, user name ...); what stays undecided is carried as ``pending`` condition blocks and the keys
they miss, so that a later question with more context (``iam:PassedToService``) can decide them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Iterable, Mapping

from ciem.catalog import PermissionCatalog
from ciem.model import CoverageGap
from ciem.patterns import glob_match, is_literal, literal_prefix

from ciem_aws import PROVIDER
from ciem_aws.policy.conditions import evaluate_conditions
from ciem_aws.policy.document import Policy, Statement
from ciem_aws.policy.variables import ABSENT, LITERAL_QUESTION, LITERAL_STAR, UNKNOWN, ContextView, substitute_pattern

from ciem_aws.resolve.principals import Estate, Principal

ANY = ("*",)
_VARIABLE = re.compile(r"\$\{[^}]*\}")

Conditions = Mapping[str, Mapping[str, tuple[Any, ...]]]


@dataclass(frozen=True, slots=True)
class Clause:
    """A statement compiled once: actions as a bitset, resources as include/exclude patterns."""

    effect: str
    bits: int
    include: tuple[str, ...]  # Resource, or ("*",) under NotResource or without either
    exclude: tuple[str, ...]  # NotResource
    conditions: Conditions
    version: str
    label: str
    has_variables: bool


@dataclass(frozen=True, slots=True)
class Item:
    """Actions on resources, after some layers; ``pending`` holds undecided (conditions, version)."""

    bits: int
    include: tuple[str, ...]
    also: tuple[tuple[str, ...], ...] = ()
    exclude: tuple[str, ...] = ()
    pending: tuple[tuple[Conditions, str], ...] = ()
    keys: tuple[str, ...] = ()
    provenance: tuple[str, ...] = ()

    @property
    def unconditional(self) -> bool:
        return not self.pending and not self.keys

    @property
    def everywhere(self) -> bool:
        """Names every resource: it reaches and covers any resource or pattern."""
        return self.include == ANY and not self.also and not self.exclude

    def reaches(self, resource: str) -> bool:
        """Covers ``resource``, or, when ``resource`` is a pattern (a resource the caller will
        create and may name), some resource it matches."""
        if not any(could_overlap(p, resource) for p in self.include):
            return False
        if not all(any(could_overlap(p, resource) for p in clause) for clause in self.also):
            return False
        return not any(pattern_covers(p, resource) for p in self.exclude)

    def covers(self, resource: str) -> bool:
        """Covers ``resource``, or every resource the pattern ``resource`` matches (for denies)."""
        if not any(pattern_covers(p, resource) for p in self.include):
            return False
        if not all(any(pattern_covers(p, resource) for p in clause) for clause in self.also):
            return False
        return not any(could_overlap(p, resource) for p in self.exclude)


def _union(*groups: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(k for group in groups for k in group))


def _arn_parts(a: str, b: str) -> list[tuple[str, str]] | None:
    """Both as ARNs, part by part: a wildcard in the first five parts stays within its part, as in
    AWS's Resource matching."""
    parts_a, parts_b = a.split(":", 5), b.split(":", 5)
    if len(parts_a) == 6 and len(parts_b) == 6 and parts_a[0] == parts_b[0] == "arn":
        return list(zip(parts_a, parts_b))
    return None


def pattern_covers(outer: str, inner: str) -> bool:
    """True only when every string ``inner`` matches also matches ``outer`` (sound, not complete)."""
    parts = _arn_parts(outer, inner)
    if parts is not None:
        return all(_covers(o, i) for o, i in parts)
    return _covers(outer, inner)


def _covers(outer: str, inner: str) -> bool:
    if outer == "*" or outer == inner:
        return True
    if is_literal(inner):
        return glob_match(outer, inner)
    head = outer[:-1]
    return outer.endswith("*") and is_literal(head) and literal_prefix(inner).startswith(head)


@lru_cache(maxsize=1 << 17)
def could_overlap(a: str, b: str) -> bool:
    """Some resource matches both patterns (cached: policy templates ask the same pairs for many principals)."""
    parts = _arn_parts(a, b)
    if parts is not None:
        return all(_overlap(x, y) for x, y in parts)
    return _overlap(a, b)


def _overlap(a: str, b: str) -> bool:
    if is_literal(b):
        return glob_match(a, b)
    if is_literal(a):
        return glob_match(b, a)
    return _patterns_intersect(a, b)


@lru_cache(maxsize=65536)
def _patterns_intersect(a: str, b: str) -> bool:
    """Two ``*``/``?`` patterns share a match: a walk over both, a star eating nothing or one more character."""

    @lru_cache(maxsize=None)
    def walk(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] == "*":
            return walk(i + 1, j) or (j < len(b) and walk(i, j + 1))
        if j < len(b) and b[j] == "*":
            return walk(i, j + 1) or (i < len(a) and walk(i + 1, j))
        if i == len(a) or j == len(b):
            return False
        return (a[i] == b[j] or a[i] == "?" or b[j] == "?") and walk(i + 1, j + 1)

    return walk(0, 0)


def covers(deny: Item, allow: Item) -> bool:
    """The deny's resources include every resource the allow can reach."""
    if deny.exclude or deny.also:
        return False
    return all(any(pattern_covers(d, a) for d in deny.include) for a in allow.include)


class Compiler:
    """Compiles statements once and interns action sets, so identical statements share objects."""

    def __init__(self, catalog: PermissionCatalog):
        self.catalog = catalog
        self.gaps: list[CoverageGap] = []
        self._clauses: dict[int, tuple[Statement, Clause]] = {}
        self._names: dict[int, frozenset[str]] = {}
        self._reported: set[tuple[str, str]] = set()

    def action_bits(self, patterns: Iterable[str], label: str) -> int:
        bits = 0
        for pattern in patterns:
            found = self.catalog.expand(pattern)
            if not found and (label, pattern) not in self._reported:
                self._reported.add((label, pattern))
                self.gaps.append(CoverageGap(PROVIDER, label, "unknown-action",
                                             f"{pattern!r} matches no action in the permission catalog; it grants nothing"))
            bits |= found
        return bits

    def clause(self, statement: Statement, version: str) -> Clause:
        cached = self._clauses.get(id(statement))
        if cached is not None and cached[0] is statement:
            return cached[1]
        if statement.actions is not None:
            bits = self.action_bits(statement.actions, statement.label)
        else:
            bits = self.catalog.all_bits & ~self.action_bits(statement.not_actions or (), statement.label)
        include = statement.resources if statement.resources is not None else ANY
        exclude = statement.not_resources or ()
        clause = Clause(statement.effect, bits, tuple(include), tuple(exclude), statement.conditions, version,
                        statement.label, any("${" in p for p in (*include, *exclude)))
        self._clauses[id(statement)] = (statement, clause)
        return clause

    def clauses(self, policy: Policy) -> list[Clause]:
        return [self.clause(statement, policy.version) for statement in policy.statements]

    def names(self, bits: int) -> frozenset[str]:
        names = self._names.get(bits)
        if names is None:
            names = self._names[bits] = frozenset(self.catalog.names(bits))
        return names


# --- the principal's request context ------------------------------------------------------------

class _UserView(ContextView):
    """An IAM user's requests carry exactly its tags: an ``aws:PrincipalTag/`` key it lacks is absent
    (a role session may carry session tags, so for roles such keys stay unknown)."""

    __slots__ = ()

    def lookup(self, key: str) -> tuple[str, tuple[str, ...]]:
        state, values = super().lookup(key)
        if state == UNKNOWN and key.lower().startswith("aws:principaltag/"):
            return ABSENT, ()
        return state, values

    def with_defaults(self, defaults: Mapping[str, Any], absent: Iterable[str] = ()) -> ContextView:
        view = super().with_defaults(defaults, tuple(absent))
        view.__class__ = _UserView
        return view


def principal_context(estate: Estate, principal: Principal) -> ContextView:
    """What every request of ``principal`` carries, and the keys known to be absent."""
    values, absent = principal_values(estate, principal)
    view_type = _UserView if principal.kind == "user" else ContextView
    return view_type(values, complete=False, absent=absent)


def principal_values(estate: Estate, principal: Principal) -> tuple[dict[str, Any], list[str]]:
    """(context keys every request of ``principal`` carries, keys it never carries)."""
    values: dict[str, Any] = {
        "aws:PrincipalArn": principal.arn,
        "aws:PrincipalAccount": principal.account,
        "aws:PrincipalIsAWSService": "false",
    }
    absent = ["aws:PrincipalServiceName", "aws:PrincipalServiceNamesList"]
    member = estate.in_organization(principal.account)
    if member:
        values["aws:PrincipalOrgID"] = estate.org_id
        paths = estate.org_paths(principal.account)
        if paths:
            values["aws:PrincipalOrgPaths"] = [paths]
    elif member is None:  # no organization data: a lone account
        absent += ["aws:PrincipalOrgID", "aws:PrincipalOrgPaths"]
    for key, value in principal.tags.items():
        values[f"aws:PrincipalTag/{key}"] = value
    if principal.kind == "user":
        values.update({"aws:PrincipalType": "User", "aws:username": principal.name, "aws:userid": principal.unique_id})
    elif principal.kind == "group":
        values["aws:PrincipalType"] = "User"  # a group's statements apply to its member users
    elif principal.kind == "role":
        values["aws:PrincipalType"] = "AssumedRole"
        absent.append("aws:username")
    else:
        values.update({"aws:PrincipalType": "Account", "aws:userid": principal.account})
        absent.append("aws:username")
    return values, absent


def decide(conditions: Conditions, version: str, view: ContextView) -> tuple[bool, tuple[str, ...]]:
    """(may apply, missing keys): False when the conditions are false for this principal."""
    if not conditions:
        return True, ()
    result = evaluate_conditions(conditions, view, context_complete=False, version=version)
    if result.value is False:
        return False, ()
    return True, () if result.value else (result.missing or ("<unknown>",))


ORG_KEY = "aws:principalorgid"
OTHER_ORGANIZATION = "o-outside-the-collected-organization"


def compares_org_only_to(policies_conditions: Iterable[Conditions], org_id: str) -> bool:
    """Every condition on aws:PrincipalOrgID compares it with ``org_id`` alone."""
    for conditions in policies_conditions:
        for block in conditions.values():
            for key, values in block.items():
                if key.lower() == ORG_KEY and any(str(v) != org_id for v in values):
                    return False
    return True


def decide_outside_org(conditions: Conditions, version: str, view: ContextView, org_id: str) -> tuple[bool, tuple[str, ...]]:
    """:func:`decide` for a caller known to be outside the collected organization (its account is
    not among the organization's): its aws:PrincipalOrgID is absent or another organization's. When
    the conditions compare the key only with the collected organization's id and both cases agree,
    the answer is decided."""
    applies, keys = decide(conditions, version, view)
    if not org_id or ORG_KEY not in {k.lower() for k in keys} or not compares_org_only_to([conditions], org_id):
        return applies, keys
    other = decide(conditions, version, view.with_defaults({"aws:PrincipalOrgID": OTHER_ORGANIZATION}))
    absent = decide(conditions, version, view.with_defaults({}, absent=["aws:PrincipalOrgID"]))
    return other if other == absent else (applies, keys)


def _substituted(patterns: tuple[str, ...], version: str, view: ContextView) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Patterns with policy variables replaced by the principal's values; a variable whose value
    is unknown becomes ``*`` and its key is returned; a pattern with an absent variable is dropped."""
    out: list[str] = []
    keys: list[str] = []
    for pattern in patterns:
        result = substitute_pattern(pattern, view, version)
        if result.text is not None:
            out.append(result.text.replace(LITERAL_STAR, "*").replace(LITERAL_QUESTION, "?"))
        elif result.missing:
            out.append(_VARIABLE.sub("*", pattern))
            keys.extend(result.missing)
    return tuple(out), tuple(keys)


def clause_item(clause: Clause, view: ContextView) -> Item | None:
    """The clause as it applies to one principal, or None when it cannot apply to it."""
    if not clause.bits:
        return None
    applies, keys = decide(clause.conditions, clause.version, view)
    if not applies:
        return None
    include, exclude = clause.include, clause.exclude
    if clause.has_variables:
        include, include_keys = _substituted(include, clause.version, view)
        exclude, exclude_keys = _substituted(exclude, clause.version, view)
        if not include:
            return None
        keys = _union(keys, include_keys, exclude_keys)
    pending = ((clause.conditions, clause.version),) if keys and clause.conditions else ()
    return Item(clause.bits, include, (), exclude, pending, keys, (clause.label,))


def intersect(items: list[Item], layer: list[Item], all_bits: int) -> list[Item]:
    """Every allow of ``items`` narrowed by the union of the allows of an outer ``layer``.

    A layer that allows every action on every resource unconditionally (FullAWSAccess) is skipped.
    """
    if any(l.unconditional and l.bits == all_bits and l.everywhere for l in layer):
        return items
    out = []
    for a in items:
        for l in layer:
            bits = a.bits & l.bits
            if not bits:
                continue
            also = a.also if l.include == ANY else a.also + (l.include,)
            out.append(Item(bits, a.include, _union_clauses(also, l.also), _union(a.exclude, l.exclude),
                            a.pending + l.pending, _union(a.keys, l.keys), (*l.provenance, *a.provenance)))
    return out


def _union_clauses(a: tuple[tuple[str, ...], ...], b: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
    return tuple(dict.fromkeys((*a, *b)))


def fold_denies(allows: list[Item], denies: list[Item]) -> tuple[list[Item], list[Item]]:
    """Subtract each unconditional deny from the allows whose resources it covers.

    Returns the allows left and the denies that could not be folded (conditional ones, or ones
    covering only part of an allow's resources): those become deny grants.
    """
    leftover = []
    for deny in denies:
        if not deny.unconditional:
            leftover.append(deny)
            continue
        folded_all = True
        out = []
        for allow in allows:
            overlap = allow.bits & deny.bits
            if not overlap:
                out.append(allow)
            elif covers(deny, allow):
                if allow.bits & ~deny.bits:
                    out.append(replace(allow, bits=allow.bits & ~deny.bits))
            else:
                folded_all = False
                out.append(allow)
        allows = out
        if not folded_all:
            leftover.append(deny)
    return allows, leftover


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    conditions: tuple[str, ...] = ()
    provenance: tuple[str, ...] = ()
    denied_by: tuple[str, ...] = ()


class Effective:
    """One principal's effective identity-side permissions and the layers that produced them."""

    def __init__(self, principal: Principal, view: ContextView, allows: list[Item], denies: list[Item],
                 ceiling: list[Item], open_ceiling: list[Item], all_denies: list[Item]):
        self.principal = principal
        self.view = view
        self.allows = allows  # identity ∩ boundary ∩ SCPs, covered denies folded in
        self.denies = denies  # denies not folded into the allows
        # What a same-account resource-based policy naming the principal can grant: within its SCPs
        # and, for a role, its boundary (``ceiling``); within its SCPs only when the policy names
        # ``*`` (``open_ceiling``: AWS treats that like naming the session, which no boundary limits).
        self.ceiling = ceiling
        self.open_ceiling = open_ceiling
        self.all_denies = all_denies  # every explicit deny of identity, boundary and SCP layers
        self.bits = 0
        for item in allows:
            self.bits |= item.bits
        self._targets: dict[int, frozenset[str] | None] = {}
        self._actions: dict[int, _Action] = {}

    def targets(self, bit: int) -> frozenset[str] | None:
        """The resources the allows name for an action when every one names them literally (a
        ``PassRole`` on three role ARNs), or None when some allow uses a wildcard. Lets callers
        visit only those resources instead of every candidate."""
        if bit not in self._targets:
            found: set[str] | None = set()
            for item in self.allows:
                if item.bits & bit:
                    if not all(is_literal(p) for p in item.include):
                        found = None
                        break
                    found.update(item.include)
            self._targets[bit] = None if found is None else frozenset(found)
        return self._targets[bit]

    def _reevaluate(self, item: Item, extra: Mapping[str, Any] | None) -> tuple[bool, tuple[str, ...]]:
        if not extra or not item.pending:
            return True, item.keys
        view = self.view.with_defaults(extra)
        keys: list[str] = []
        for conditions, version in item.pending:
            applies, missing = decide(conditions, version, view)
            if not applies:
                return False, ()
            keys.extend(missing)
        return True, tuple(dict.fromkeys(keys))

    def _action(self, bit: int) -> "_Action":
        action = self._actions.get(bit)
        if action is None:
            allows = [item for item in self.allows if item.bits & bit]
            denies = [item for item in self.all_denies if item.bits & bit]
            blind = not allows or (allows[0].unconditional and allows[0].everywhere and all(d.everywhere for d in denies))
            action = self._actions[bit] = _Action(allows, denies, blind, {})
        return action

    def blind(self, bit: int) -> bool:
        """Whether the answer on the action is the same for every resource: no allow carries it, or
        the first that does allows it everywhere unconditionally, and every deny carrying it names
        every resource."""
        return self._action(bit).blind

    def can(self, bit: int, resource: str, extra: Mapping[str, Any] | None = None,
            allows: Iterable[Item] | None = None) -> Verdict:
        """May the principal perform the action ``bit`` on ``resource`` (identity side)?

        Unconditionally, conditionally (``conditions`` names the keys) or not; ``extra`` adds
        request context the question fixes (``iam:PassedToService`` ...; its values hashable).
        An answer that does not depend on the resource (:meth:`blind`) is worked out once.
        """
        action = self._action(bit)
        if allows is not None:
            return self._can(resource, extra, [item for item in allows if item.bits & bit], action.denies)
        if not action.blind:
            return self._can(resource, extra, action.allows, action.denies)
        key = tuple(extra.items()) if extra else ()
        verdict = action.verdicts.get(key)
        if verdict is None:
            verdict = action.verdicts[key] = self._can(resource, extra, action.allows, action.denies)
        return verdict

    def _can(self, resource: str, extra: Mapping[str, Any] | None, allows: list[Item], denies: list[Item]) -> Verdict:
        """:meth:`can` over the allows and denies that carry the action."""
        best: Verdict | None = None
        for item in allows:
            if not item.reaches(resource):
                continue
            applies, keys = self._reevaluate(item, extra)
            if not applies:
                continue
            if not keys:
                best = Verdict(True, (), item.provenance)
                break
            if best is None or len(keys) < len(best.conditions):
                best = Verdict(True, keys, item.provenance)
        if best is None:
            return Verdict(False)
        keys = list(best.conditions)
        for item in denies:
            # A deny on only part of a pattern leaves the caller free to pick another name.
            if not item.covers(resource):
                continue
            applies, missing = self._reevaluate(item, extra)
            if not applies:
                continue
            if not missing:
                return Verdict(False, denied_by=item.provenance)
            keys.extend(missing)
        return Verdict(True, tuple(dict.fromkeys(keys)), best.provenance)


@dataclass(slots=True)
class _Action:
    """One action's allows and denies in a principal's :class:`Effective`, and, when the answer
    does not depend on the resource (``blind``), the answers given, by extra request context."""

    allows: list[Item]
    denies: list[Item]
    blind: bool
    verdicts: dict[tuple[tuple[str, Any], ...], Verdict]


class Layers:
    """Builds :class:`Effective` for each principal, caching the clauses of shared policies."""

    def __init__(self, estate: Estate, compiler: PermissionCatalog | Compiler):
        self.estate = estate
        self.compiler = compiler if isinstance(compiler, Compiler) else Compiler(compiler)
        self.catalog = self.compiler.catalog
        self._effective: dict[str, Effective] = {}
        self._ceilings: dict[tuple[str, bool], int] = {}

    def universal(self, label: str) -> Item:
        return Item(self.catalog.all_bits, ANY, provenance=(label,))

    def _policy_items(self, policies: Iterable[Policy], view: ContextView) -> tuple[list[Item], list[Item]]:
        allows, denies = [], []
        for policy in policies:
            for clause in self.compiler.clauses(policy):
                item = clause_item(clause, view)
                if item is None:
                    continue
                if clause.effect == "Allow":
                    allows.append(item)
                else:
                    denies.append(item)
        return allows, denies

    def scp_levels(self, principal: Principal) -> list[list[Policy]]:
        account = self.estate.accounts.get(principal.account)
        if account is None or account.management or principal.service_linked:
            return []
        return account.scp_levels

    def ceiling_bits(self, principal: Principal) -> int:
        """The actions the principal's SCPs leave allowed unconditionally on every resource: what
        the most powerful principal of its account can do."""
        key = (principal.account, principal.service_linked)
        if key not in self._ceilings:
            items = [self.universal("ceiling")]
            denies: list[Item] = []
            for level in reversed(self.scp_levels(principal)):
                level_allows, level_denies = self._policy_items(level, ContextView({}, complete=False))
                items = intersect(items, level_allows, self.catalog.all_bits)
                denies += level_denies
            items, _ = fold_denies(items, [d for d in denies if d.unconditional])
            bits = 0
            for item in items:
                if item.unconditional and item.everywhere:
                    bits |= item.bits
            self._ceilings[key] = bits
        return self._ceilings[key]

    def effective(self, principal: Principal) -> Effective:
        cached = self._effective.get(principal.arn)
        if cached is not None:
            return cached
        view = principal_context(self.estate, principal)
        all_bits = self.catalog.all_bits
        if principal.kind == "root":
            allows, denies = [self.universal("account-root-user")], []
        else:
            allows, denies = self._policy_items(principal.policies, view)
        bound_allows: list[Item] | None = None
        if principal.boundary is not None and principal.kind != "root":
            bound_allows, bound_denies = self._policy_items([principal.boundary], view)
            allows = intersect(allows, bound_allows, all_bits)
            denies += bound_denies
        open_ceiling = [self.universal(f"resource-policy:{principal.arn}")]
        for level in reversed(self.scp_levels(principal)):
            level_allows, level_denies = self._policy_items(level, view)
            allows = intersect(allows, level_allows, all_bits)
            open_ceiling = intersect(open_ceiling, level_allows, all_bits)
            denies += level_denies
        ceiling = open_ceiling
        if bound_allows is not None and principal.kind == "role":
            # A resource-based policy naming a role is limited by its boundary; naming a user it is not.
            ceiling = intersect(open_ceiling, bound_allows, all_bits)
        folded, leftover = fold_denies(allows, denies)
        effective = Effective(principal, view, folded, leftover, fold_denies(ceiling, denies)[0],
                              fold_denies(open_ceiling, denies)[0], denies)
        self._effective[principal.arn] = effective
        return effective
