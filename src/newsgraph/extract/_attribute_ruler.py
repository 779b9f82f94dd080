"""An indexed ``attribute_ruler``: the stock component's matches, found by table look-ups.

spaCy's ``AttributeRuler`` runs every one of its patterns at every token (179 in en_core_web_sm,
most of them ``{"TAG": "NN"}`` or ``{"TAG": "PRP", "LOWER": "he"}``): about 5 ms an article, a
tenth of the pipeline (benchmarks/README.md). A single-token pattern whose conditions are equality,
``IN`` or ``NOT_IN`` on ``TAG``, ``DEP``, ``LOWER`` or ``IS_SPACE`` depends on those four values of
the token only, so:

- patterns without a ``LOWER`` condition are looked up by the token's (tag, dep, is_space), in a
  table filled on first sight of each combination (bounded by tags x labels x 2);
- patterns with ``LOWER`` equality or ``IN`` are found by the token's lower form in a fixed index,
  then their other conditions are checked;
- everything else (several tokens, several alternatives, ``REGEX``, ``NOT_IN`` on ``LOWER``,
  operators, other attributes) stays with a spaCy ``Matcher`` that holds only those patterns.

``match`` returns exactly what the stock one does (same tuples, same order; tests/extract compares
them token for token), and the stock ``set_annotations`` writes them. Patterns are added through
the stock API (``add``, ``add_patterns``, ``initialize``), so ``patterns``, scoring and
serialization are the stock component's.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.pipeline import AttributeRuler
from spacy.tokens import Doc, Token
from spacy.vocab import Vocab

#: The token attributes the index understands, and how a token gives each one (string values as
#: their hashes in the StringStore, as the Matcher compares them; "" - not set - is 0).
_READ = {
    "TAG": lambda t: t.tag,
    "DEP": lambda t: t.dep,
    "LOWER": lambda t: t.lower,
    "IS_SPACE": lambda t: t.is_space,
}
#: Most lower forms a regular expression's verdicts are remembered for (then forgotten at once).
_REGEX_MEMO = 50_000


class _Regex:
    """A ``REGEX`` condition on ``LOWER`` (``re.search``, as the Matcher does), its verdict
    remembered per lower form."""

    def __init__(self, pattern: str) -> None:
        self.search = re.compile(pattern).search
        self.memo: dict[int, bool] = {}

    def __call__(self, token: Token) -> bool:
        hit = self.memo.get(token.lower)
        if hit is None:
            if len(self.memo) >= _REGEX_MEMO:
                self.memo.clear()
            hit = self.memo[token.lower] = self.search(token.lower_) is not None
        return hit


Condition = tuple[str, str, Any]  # (attribute, "==" | "IN" | "NOT_IN" | "REGEX", hashed value(s) | _Regex)
Rest = tuple[list[Condition], ...]  # the conditions of a pattern's second, third ... token
Entry = tuple[int, list[Condition], Rest]  # (match id, first token's conditions, the rest)


def _conditions(spec: dict[str, Any], strings: Any) -> list[Condition] | None:
    """A token pattern's conditions (strings hashed), or None when the index cannot decide it."""
    out: list[Condition] = []
    for attr, value in spec.items():
        attr = attr.upper()
        if attr not in _READ:
            return None
        if isinstance(value, dict):
            if len(value) != 1:
                return None
            (op, arg), = value.items()
            if op == "REGEX" and attr == "LOWER" and isinstance(arg, str):
                out.append((attr, op, _Regex(arg)))
            elif op in ("IN", "NOT_IN") and attr != "IS_SPACE" and isinstance(arg, (list, tuple)) \
                    and all(isinstance(a, str) for a in arg):
                out.append((attr, op, frozenset(strings[a] for a in arg)))
            else:
                return None
        elif attr == "IS_SPACE" and isinstance(value, bool):
            out.append((attr, "==", value))
        elif attr != "IS_SPACE" and isinstance(value, str):
            out.append((attr, "==", strings[value]))
        else:  # a number, a list, None: not a condition the index knows how to read
            return None
    return out


def _holds(conds: list[Condition], token: Token) -> bool:
    for attr, op, arg in conds:
        if op == "REGEX":
            if not arg(token):
                return False
            continue
        value = _READ[attr](token)
        if (value == arg) if op == "==" else ((value in arg) == (op == "IN")):
            continue
        return False
    return True


def _rest_holds(rest: Rest, doc: Doc, i: int) -> bool:
    if i + len(rest) >= len(doc):
        return False
    return all(_holds(conds, doc[i + k]) for k, conds in enumerate(rest, 1))


class IndexedAttributeRuler(AttributeRuler):
    """``AttributeRuler`` whose ``match`` looks patterns up instead of running them all."""

    def __init__(self, vocab: Vocab, name: str = "attribute_ruler", *, validate: bool = False,
                 scorer: Any = None) -> None:
        kwargs = {"scorer": scorer} if scorer is not None else {}
        super().__init__(vocab, name, validate=validate, **kwargs)
        self._index: _Index | None = None

    # every way patterns change goes through these (add_patterns, initialize and from_bytes call add
    # or clear): the index is rebuilt on the next match
    def add(self, patterns: Iterable[Any], attrs: dict[str, Any], index: int = 0) -> None:
        super().add(patterns, attrs, index)
        self._index = None

    def clear(self) -> None:
        super().clear()
        self._index = None

    def from_bytes(self, *args: Any, **kwargs: Any) -> IndexedAttributeRuler:
        out = super().from_bytes(*args, **kwargs)
        self._index = None
        return out  # type: ignore[return-value]

    def from_disk(self, *args: Any, **kwargs: Any) -> IndexedAttributeRuler:
        out = super().from_disk(*args, **kwargs)
        self._index = None
        return out  # type: ignore[return-value]

    def match(self, doc: Doc) -> list[tuple[int, int, int, int]]:
        """The stock ``match``: (pattern number, match id, start, end), unique, sorted so that
        later patterns win."""
        index = self._index = self._index or _Index(self)
        return index.match(doc)


class _Index:
    """The ruler's patterns, arranged for look-up by a token's values."""

    def __init__(self, ruler: AttributeRuler) -> None:
        strings = ruler.vocab.strings
        self.number: dict[int, int] = {}  # match id -> pattern number
        self.plain: list[Entry] = []  # first token: no LOWER condition
        self.by_lower: dict[int, list[Entry]] = {}  # first token: LOWER equal to / in: by that form
        self.scan: list[Entry] = []  # first token: LOWER by REGEX or NOT_IN - checked at every token
        self.by_tag_dep: dict[tuple[int, int, bool], tuple[Entry, ...]] = {}  # plain, filled as tokens come
        self.rest = Matcher(ruler.vocab, validate=False)  # what the index cannot read
        for i in range(len(ruler.attrs)):
            key = str(i)
            match_id = strings[key]
            self.number[match_id] = i
            alternatives = ruler.matcher.get(key)[1]
            read = [[_conditions(spec, strings) for spec in alt] for alt in alternatives]
            if not all(alt and all(c is not None for c in alt) for alt in read):
                self.rest.add(match_id, alternatives)
                continue
            for alt in read:
                first, rest = alt[0], tuple(alt[1:])
                assert first is not None
                lower = [c for c in first if c[0] == "LOWER"]
                others = [c for c in first if c[0] != "LOWER"]
                if not lower:
                    self.plain.append((match_id, first, rest))  # type: ignore[arg-type]
                elif lower[0][1] in ("==", "IN"):  # one LOWER condition (a dict key appears once)
                    forms = [lower[0][2]] if lower[0][1] == "==" else sorted(lower[0][2])
                    for form in forms:
                        self.by_lower.setdefault(form, []).append((match_id, others, rest))  # type: ignore[arg-type]
                else:
                    self.scan.append((match_id, first, rest))  # type: ignore[arg-type]

    def match(self, doc: Doc) -> list[tuple[int, int, int, int]]:
        found: set[tuple[int, int, int]] = set()  # unique, as the Matcher's
        add = found.add
        by_tag_dep, by_lower, scan = self.by_tag_dep, self.by_lower, self.scan
        none: list[Entry] = []
        for token in doc:
            i = token.i
            key = (token.tag, token.dep, token.is_space)
            hits = by_tag_dep.get(key)
            if hits is None:
                hits = by_tag_dep[key] = tuple(e for e in self.plain if _holds(e[1], token))
            for m, _, rest in hits:
                if not rest or _rest_holds(rest, doc, i):
                    add((m, i, i + 1 + len(rest)))
            for m, conds, rest in by_lower.get(token.lower, none):
                if _holds(conds, token) and (not rest or _rest_holds(rest, doc, i)):
                    add((m, i, i + 1 + len(rest)))
            for m, conds, rest in scan:
                if _holds(conds, token) and (not rest or _rest_holds(rest, doc, i)):
                    add((m, i, i + 1 + len(rest)))
        if len(self.rest):
            found.update(self.rest(doc, allow_missing=True, as_spans=False))
        number = self.number
        return sorted((number[m], m, s, e) for m, s, e in found)


@Language.factory("newsgraph_attribute_ruler", default_config={"validate": False},
                  assigns=["token.tag", "token.pos", "token.morph", "token.lemma"])
def make_indexed_attribute_ruler(nlp: Language, name: str, validate: bool) -> IndexedAttributeRuler:
    """The stock attribute ruler with indexed matching. RETURNS (IndexedAttributeRuler)."""
    return IndexedAttributeRuler(nlp.vocab, name, validate=validate)


def index_attribute_ruler(nlp: Language, name: str = "attribute_ruler") -> None:
    """Swap the pipeline's stock ``AttributeRuler`` ``name`` for an :class:`IndexedAttributeRuler`
    with the same patterns (in place; nothing to do when there is none or it is swapped already)."""
    if name not in nlp.pipe_names:
        return
    stock = nlp.get_pipe(name)
    if type(stock) is not AttributeRuler:
        return
    patterns = stock.patterns
    fast = nlp.replace_pipe(name, "newsgraph_attribute_ruler")
    assert isinstance(fast, IndexedAttributeRuler)
    fast.add_patterns(patterns)
