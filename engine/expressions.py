"""A small, whitelisting evaluator for BPMN expressions and assignment-only scripts.

SpiffWorkflow would run gateway conditions, timers, service parameters, message payloads and script
tasks through Python's `eval`/`exec` with full builtins. Here the source is parsed with `ast`, every
node is checked against a short whitelist and the tree is then walked by our own interpreter:
nothing ever reaches eval, exec or compile-to-bytecode.

Allowed: str/int/float/bool/None constants; variable names (never starting with '_'); subscripts
and slices on dict/list/tuple/str; comparisons; and/or/not; unary -/+; + - * / // % (no **, no
bitwise operators); `a if c else b`; list/tuple/dict/set literals; calls to the helpers in HELPERS
by plain name (positional arguments only) and the methods in METHODS (`.get` on dicts,
`.lower/.upper/.strip/.startswith/.endswith` on strings). Refused: everything else, including
lambda, comprehensions, `:=`, starred/`**` unpacking, any other attribute and f-strings (refused
outright, use `str()` and `+`).

Decisions: calls resolve only against HELPERS, so a variable named `len` never shadows (or becomes)
a callable; plain names resolve only against the variables, so `len` on its own is an error rather
than a function object leaking into process data. `*`/`+` on sequences, int `*` and `str()` are
size-capped so a model cannot exhaust memory or CPU. Python runtime errors (KeyError, TypeError,
ZeroDivisionError...) are re-raised as ExpressionError.
"""
from __future__ import annotations

import ast
import operator
import textwrap
from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

MAX_EXPRESSION_LENGTH = 2_000
MAX_SCRIPT_LENGTH = 20_000
MAX_DEPTH = 50
MAX_SEQUENCE_SIZE = 10_000  # items/characters a `*` or `+` on a sequence may produce
MAX_STR_INPUT_SIZE = 100_000  # items/characters str() may expand (nested values shared by `*` blow up)
MAX_INT_BITS = 10_000  # an int product may not exceed this (repeated squaring in scripts)


class ExpressionError(ValueError):
    """An expression or script was refused or failed; `.expression` holds the offending source."""

    def __init__(self, message: str, expression: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.expression = expression

    def __str__(self) -> str:
        return self.message


def _now() -> str:
    """Current UTC time as ISO-8601; module-level `datetime` so freezegun can patch it."""
    return datetime.now(UTC).isoformat()


def _duration(name: str, template: str) -> Callable[[Any], str]:
    """days(n) -> 'P{n}D', hours(n) -> 'PT{n}H': ISO-8601 durations for timer events."""
    def helper(n: Any) -> str:
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ExpressionError(f"{name}() needs a non-negative whole number, got {n!r}")
        return template.format(n)
    return helper


def _size(value: Any, limit: int) -> int:
    """Items in the fully expanded value (strings count characters); stops once above `limit`.

    Expanding matters because `[[1] * 9999] * 9999` is cheap to build (shared references) but
    str() or a comparison of it walks every path.
    """
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, (list, tuple, set, frozenset, dict)):
            total += len(item)
            if total <= limit:  # never copy a huge container onto the stack
                stack.extend(item.items() if isinstance(item, dict) else item)
    return total


def _safe_str(value: Any = "") -> str:
    if _size(value, MAX_STR_INPUT_SIZE) > MAX_STR_INPUT_SIZE:
        raise ExpressionError(f"str() refused: value is larger than {MAX_STR_INPUT_SIZE} items")
    return str(value)


HELPERS: dict[str, Callable[..., Any]] = {
    "len": len, "str": _safe_str, "int": int, "float": float, "bool": bool, "min": min, "max": max,
    "abs": abs, "round": round, "sorted": sorted, "any": any, "all": all,
    "now": _now, "days": _duration("days", "P{}D"), "hours": _duration("hours", "PT{}H"),
}
# method name -> (receiver type, unbound method, min args, max args). Calling the base-class
# function (dict.get, str.lower) means a subclass override in the data is never invoked.
METHODS: dict[str, tuple[type, Callable[..., Any], int, int]] = {
    "get": (dict, dict.get, 1, 2), "lower": (str, str.lower, 0, 0), "upper": (str, str.upper, 0, 0),
    "strip": (str, str.strip, 0, 1), "startswith": (str, str.startswith, 1, 1),
    "endswith": (str, str.endswith, 1, 1),
}
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%"}
_REFUSED_OPS: dict[type, str] = {ast.Pow: "**", ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|", ast.BitAnd: "&",
                ast.BitXor: "^", ast.MatMult: "@", ast.Invert: "~"}
_ARITH = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
          ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b, ast.Is: operator.is_, ast.IsNot: operator.is_not,
}
_PLAIN_NODES = (ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Subscript, ast.Slice,
                ast.List, ast.Tuple, ast.Set, ast.Dict)
_OPERATOR_NODES = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
_DESCRIPTIONS = {
    ast.Lambda: "lambda", ast.ListComp: "comprehension", ast.SetComp: "comprehension",
    ast.DictComp: "comprehension", ast.GeneratorExp: "generator expression",
    ast.NamedExpr: "assignment expression ':='", ast.JoinedStr: "f-string", ast.Starred: "starred '*'",
    ast.Import: "import", ast.ImportFrom: "import", ast.For: "for loop", ast.While: "while loop",
    ast.FunctionDef: "function definition", ast.ClassDef: "class definition", ast.Expr: "bare expression",
    ast.Assign: "chained assignment", ast.AugAssign: "this augmented assignment",
}
_SEQUENCES, _NUMBERS = (str, list, tuple), (int, float)


def _describe(node: ast.AST) -> str:
    return _DESCRIPTIONS.get(type(node), type(node).__name__)


def _check_name(name: str) -> None:
    if name.startswith("_"):
        raise ExpressionError(f"name '{name}' is not allowed (names starting with '_' are refused)")


def _validate(node: ast.AST, depth: int) -> None:
    """Refuse any node outside the whitelist (parse time, no variable values needed)."""
    if depth > MAX_DEPTH:
        raise ExpressionError(f"expression is nested too deeply (limit {MAX_DEPTH} levels)")
    if isinstance(node, ast.Constant):
        if node.value is not None and not isinstance(node.value, (str, int, float)):  # bool is an int
            raise ExpressionError(f"constant {node.value!r} is not allowed")
        return
    if isinstance(node, ast.Name):
        return _check_name(node.id)
    if isinstance(node, ast.Call):
        return _validate_call(node, depth)
    if isinstance(node, ast.Attribute):
        _validate(node.value, depth + 1)  # report problems in reading order
        if node.attr.startswith("_") or node.attr not in METHODS:
            raise ExpressionError(f"attribute access '.{node.attr}' is not allowed")
        raise ExpressionError(f"method '.{node.attr}' can only be called, e.g. .{node.attr}(...)")
    op = getattr(node, "op", None)
    if type(op) in _REFUSED_OPS:
        raise ExpressionError(f"operator '{_REFUSED_OPS[type(op)]}' is not allowed")
    if isinstance(node, ast.Dict) and None in node.keys:
        raise ExpressionError("dict unpacking '**' is not allowed")
    if not isinstance(node, _PLAIN_NODES):
        raise ExpressionError(f"{_describe(node)} is not allowed")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        _check_static_repeat(node.left, node.right)
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, _OPERATOR_NODES):
            _validate(child, depth + 1)


def _check_static_repeat(left: ast.AST, right: ast.AST) -> None:
    """Catch `'a' * 100000000` at deploy time already, when both sides are literals."""
    for seq, count in ((left, right), (right, left)):
        if isinstance(count, ast.Constant) and type(count.value) is int:
            size = len(seq.value) if isinstance(seq, ast.Constant) and isinstance(seq.value, str) else (
                len(seq.elts) if isinstance(seq, (ast.List, ast.Tuple)) else 0)
            if size * count.value > MAX_SEQUENCE_SIZE:
                raise ExpressionError(f"repetition with '*' is limited to {MAX_SEQUENCE_SIZE} items")


def _validate_call(node: ast.Call, depth: int) -> None:
    if node.keywords:
        raise ExpressionError("keyword arguments are not allowed in calls")
    func = node.func
    if isinstance(func, ast.Name):
        _check_name(func.id)
        if func.id not in HELPERS:
            raise ExpressionError(f"function '{func.id}' is not allowed (allowed: {', '.join(HELPERS)})")
    elif isinstance(func, ast.Attribute):
        _validate(func.value, depth + 1)
        if func.attr.startswith("_") or func.attr not in METHODS:
            raise ExpressionError(f"attribute access '.{func.attr}' is not allowed")
        _, _, low, high = METHODS[func.attr]
        if not low <= len(node.args) <= high:
            raise ExpressionError(f"method '.{func.attr}()' takes {low} to {high} arguments")
    else:
        _validate(func, depth + 1)  # names the real culprit, e.g. lambda
        raise ExpressionError("only the allowed functions and methods can be called")
    for arg in node.args:
        _validate(arg, depth + 1)


def _parse(source: str, mode: str) -> ast.AST:
    try:
        return ast.parse(source, mode=mode)
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error: {exc.msg}") from exc
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
        raise ExpressionError(f"cannot parse: {exc}") from exc


@lru_cache(maxsize=4096)
def _compile_expression(expression: str) -> ast.expr:
    source = expression.strip()  # BPMN XML often wraps conditions in whitespace/newlines
    if len(source) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"expression is longer than {MAX_EXPRESSION_LENGTH} characters")
    tree = cast(ast.Expression, _parse(source, "eval"))
    _validate(tree.body, 1)
    return tree.body


@lru_cache(maxsize=1024)
def _compile_script(script: str) -> tuple[tuple[str, ast.operator | None, ast.expr], ...]:
    if len(script) > MAX_SCRIPT_LENGTH:
        raise ExpressionError(f"script is longer than {MAX_SCRIPT_LENGTH} characters")
    steps = []
    for stmt in cast(ast.Module, _parse(textwrap.dedent(script).strip(), "exec")).body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, op = stmt.targets[0], None
        elif isinstance(stmt, ast.AugAssign) and type(stmt.op) in _BINOPS:
            target, op = stmt.target, stmt.op
        else:
            raise ExpressionError(f"{_describe(stmt)} is not allowed in a script "
                                  "(only 'name = expression' lines are)")
        if not isinstance(target, ast.Name):
            raise ExpressionError(f"assignment to '{ast.unparse(target)}' is not allowed "
                                  "(only plain variable names can be assigned)")
        _check_name(target.id)
        _validate(stmt.value, 1)
        steps.append((target.id, op, stmt.value))
    return tuple(steps)


@contextmanager
def _about(source: Any) -> Iterator[None]:
    """Attach the source to ExpressionErrors and turn Python runtime errors into ExpressionErrors."""
    if not isinstance(source, str):
        raise ExpressionError(f"expression must be a string, not {type(source).__name__}", repr(source))
    try:
        yield
    except ExpressionError as exc:
        exc.expression = exc.expression or source
        raise
    except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as exc:
        raise ExpressionError(f"evaluation failed: {type(exc).__name__}: {exc}", source) from exc


def check(expression: str) -> None:
    """Validate `expression` without evaluating it; raises ExpressionError when refused."""
    with _about(expression):
        _compile_expression(expression)


def evaluate(expression: str, variables: Mapping[str, Any]) -> Any:
    """Validate (cached) and evaluate `expression` against `variables`."""
    with _about(expression):
        return _eval(_compile_expression(expression), variables)


def check_script(script: str) -> None:
    """Validate a script of `name = expression` lines (also `name += expression`), blanks, comments."""
    with _about(script):
        _compile_script(script)


def execute_script(script: str, variables: dict[str, Any]) -> None:
    """Run a script, assigning into `variables`; all-or-nothing: nothing is written if a line fails."""
    with _about(script):
        assigned: dict[str, Any] = {}
        scope = ChainMap(assigned, variables)  # later lines see earlier assignments
        for name, op, value_node in _compile_script(script):
            value = _eval(value_node, scope)
            assigned[name] = value if op is None else _binop(op, _lookup(name, scope), value)
        variables.update(assigned)


def _lookup(name: str, variables: Mapping[str, Any]) -> Any:
    if name in variables:
        return variables[name]
    if name in HELPERS:
        raise ExpressionError(f"function '{name}' must be called, e.g. {name}(...)")
    raise ExpressionError(f"unknown variable '{name}'")


def _binop(op: ast.operator, left: Any, right: Any) -> Any:
    """Arithmetic on numbers, + on same-type sequences, * for repetition, all size-capped."""
    if isinstance(left, _NUMBERS) and isinstance(right, _NUMBERS):
        if isinstance(op, ast.Mult) and isinstance(left, int) and isinstance(right, int) \
                and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise ExpressionError(f"integer result would exceed {MAX_INT_BITS} bits")
        return _ARITH[type(op)](left, right)
    if isinstance(op, ast.Add) and isinstance(left, _SEQUENCES) and type(left) is type(right):
        if len(left) + len(right) > MAX_SEQUENCE_SIZE:
            raise ExpressionError(f"'+' result would exceed {MAX_SEQUENCE_SIZE} items")
        return operator.add(left, right)  # two lists, two tuples or two strings
    if isinstance(op, ast.Mult):
        seq, count = (left, right) if isinstance(left, _SEQUENCES) else (right, left)
        if isinstance(seq, _SEQUENCES) and isinstance(count, int):
            if count > 0 and _size(seq, MAX_SEQUENCE_SIZE) * count > MAX_SEQUENCE_SIZE:
                raise ExpressionError(f"repetition with '*' is limited to {MAX_SEQUENCE_SIZE} items")
            return seq * count
    raise ExpressionError(f"operator '{_BINOPS[type(op)]}' is not supported between "
                          f"{type(left).__name__} and {type(right).__name__}")


def _eval(node: ast.AST, env: Mapping[str, Any]) -> Any:
    """Interpret a validated tree; every node type here was admitted by _validate."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return _lookup(node.id, env)
    if isinstance(node, ast.Compare):
        left = _eval(node.left, env)
        for op, comparator in zip(node.ops, node.comparators, strict=True):  # chained like Python: a < b < c
            right = _eval(comparator, env)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.BoolOp):
        want_true = isinstance(node.op, ast.Or)  # `or` stops at the first truthy, `and` at a falsy
        for value_node in node.values:
            value = _eval(value_node, env)
            if bool(value) is want_true:
                return value
        return value
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, env)
        if isinstance(node.op, ast.Not):
            return not operand
        if not isinstance(operand, _NUMBERS):
            raise ExpressionError(f"unary minus/plus needs a number, not {type(operand).__name__}")
        return -operand if isinstance(node.op, ast.USub) else +operand
    if isinstance(node, ast.BinOp):
        return _binop(node.op, _eval(node.left, env), _eval(node.right, env))
    if isinstance(node, ast.IfExp):
        return _eval(node.body if _eval(node.test, env) else node.orelse, env)
    if isinstance(node, ast.Subscript):
        container = _eval(node.value, env)
        if not isinstance(container, (dict, list, tuple, str)):
            raise ExpressionError(f"subscript is not allowed on {type(container).__name__} values")
        return container[_eval(node.slice, env)]
    if isinstance(node, ast.Slice):
        bounds = [None if part is None else _eval(part, env) for part in (node.lower, node.upper, node.step)]
        if any(b is not None and not isinstance(b, int) for b in bounds):
            raise ExpressionError("slice bounds must be whole numbers")
        return slice(*bounds)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):  # only ever a helper: variables are never callable
            return HELPERS[func.id](*[_eval(arg, env) for arg in node.args])
        assert isinstance(func, ast.Attribute)  # guaranteed by _validate_call
        receiver = _eval(func.value, env)
        cls, method, _, _ = METHODS[func.attr]
        if not isinstance(receiver, cls):  # e.g. .get() on a list, .lower() on a number
            raise ExpressionError(f"method '.{func.attr}()' needs a {cls.__name__} value, "
                                  f"not {type(receiver).__name__}")
        return method(receiver, *[_eval(arg, env) for arg in node.args])
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [_eval(elt, env) for elt in node.elts]
        return list(items) if isinstance(node, ast.List) else (
            tuple(items) if isinstance(node, ast.Tuple) else set(items))
    if isinstance(node, ast.Dict):
        return {_eval(k, env): _eval(v, env) for k, v in zip(node.keys, node.values, strict=True)}  # type: ignore[arg-type]
    raise ExpressionError(f"{_describe(node)} is not allowed")
