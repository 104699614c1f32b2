"""Scenarios for engine.expressions: what BPMN models may evaluate, and every escape attempt refused."""
import builtins

import pytest

from engine import expressions
from engine.expressions import ExpressionError, check, check_script, evaluate, execute_script

CASE = {
    "decision": "refer",
    "contractor_report": {"result": "planned", "cost": 1200},
    "feedback": {"satisfied": False, "comment": "  Te Laat  "},
    "x": "b",
    "deadline": "2024-05-01T09:00:00+00:00",
    "items": [1, 2, 3, 4],
    "count": 3,
}


# --- gateway conditions -------------------------------------------------------------------------

@pytest.mark.parametrize("expression, expected", [
    ("decision == 'refer'", True),
    ("decision != 'refer'", False),
    ("contractor_report['result'] == 'planned'", True),
    ("feedback.get('satisfied') == False", True),
    ("feedback.get('missing', 'default') == 'default'", True),
    ("x in ['a', 'b']", True),
    ("x not in ('a', 'c')", True),
    ("contractor_report['cost'] > 1000 and decision == 'refer'", True),
    ("not feedback['satisfied'] or count > 10", True),
    ("1 < count <= 3", True),
    ("feedback['comment'].strip().lower() == 'te laat'", True),
    ("decision.upper().startswith('REF') and decision.endswith('er')", True),
    ("feedback.get('nothing') is None", True),
    ("len(items) == 4 and items[0] == 1 and items[-1] == 4", True),
])
def test_gateway_condition_evaluates_like_python(expression, expected):
    check(expression)
    assert evaluate(expression, CASE) is expected


def test_condition_wrapped_in_xml_whitespace_still_evaluates():
    assert evaluate("\n      decision == 'refer'\n    ", CASE) is True


def test_arithmetic_literals_slices_and_helpers_work():
    variables = {"items": [5, 3, 9], "name": "Gent", "amount": 7}
    assert evaluate("items[1:] + [1]", variables) == [3, 9, 1]
    assert evaluate("items[::-1]", variables) == [9, 3, 5]
    assert evaluate("sorted(items)", variables) == [3, 5, 9]
    assert evaluate("min(items) + max(items) - abs(-1)", variables) == 11
    assert evaluate("amount // 2, amount % 2, amount / 2", variables) == (3, 1, 3.5)
    assert evaluate("-amount * 2", variables) == -14
    assert evaluate("'stad ' + name + ' ' + str(amount)", variables) == "stad Gent 7"
    assert evaluate("'high' if amount > 5 else 'low'", variables) == "high"
    assert evaluate("{'a': amount, 'b': [1, 2]}['b'][1]", variables) == 2
    assert evaluate("{1, 2, 2}", variables) == {1, 2}
    assert evaluate("round(float('2.567'), 1) + int('3')", variables) == 5.6
    assert evaluate("any([False, amount]) and all([1, 'x']) and bool(name)", variables) is True
    assert evaluate("'-' * 3", variables) == "---"


# --- timers -------------------------------------------------------------------------------------

def test_timer_expressions_evaluate_to_iso_strings():
    assert evaluate("deadline", CASE) == "2024-05-01T09:00:00+00:00"
    assert evaluate('"P5D"', CASE) == "P5D"
    assert evaluate("days(5)", CASE) == "P5D"
    assert evaluate("hours(count)", CASE) == "PT3H"


def test_days_refuses_negative_or_fractional_counts():
    for expression in ("days(-1)", "days(1.5)", "hours('2')", "days(True)"):
        with pytest.raises(ExpressionError, match="non-negative whole number"):
            evaluate(expression, CASE)


def test_now_returns_current_utc_time_and_follows_freezegun():
    freezegun = pytest.importorskip("freezegun")
    with freezegun.freeze_time("2024-03-01 08:30:00"):
        assert evaluate("now()", {}) == "2024-03-01T08:30:00+00:00"


# --- unknown variables and runtime errors -------------------------------------------------------

def test_unknown_variable_is_named_in_the_error():
    with pytest.raises(ExpressionError, match="unknown variable 'routing'") as info:
        evaluate("routing == 'north'", CASE)
    assert info.value.expression == "routing == 'north'"


def test_runtime_errors_become_expression_errors():
    for expression in ("contractor_report['missing']", "items[10]", "count / 0", "'a' + 1", "min([])"):
        with pytest.raises(ExpressionError):
            evaluate(expression, CASE)


def test_methods_check_the_receiver_type_at_run_time():
    with pytest.raises(ExpressionError, match=r"'\.get\(\)' needs a dict value, not list"):
        evaluate("items.get(0)", CASE)
    with pytest.raises(ExpressionError, match=r"'\.lower\(\)' needs a str value"):
        evaluate("count.lower()", CASE)


def test_syntax_error_is_an_expression_error():
    with pytest.raises(ExpressionError, match="syntax error"):
        check("decision ==")
    with pytest.raises(ExpressionError):
        check("")


# --- escapes ------------------------------------------------------------------------------------

ESCAPES = [
    ("__import__('os').getpid()", "name '__import__' is not allowed"),
    ("().__class__.__base__.__subclasses__()", "attribute access '.__class__' is not allowed"),
    ("[c for c in ().__class__.__base__.__subclasses__()]", "comprehension is not allowed"),
    ("(lambda: 1)()", "lambda is not allowed"),
    ("open('/etc/passwd')", "function 'open' is not allowed"),
    ("getattr(1, '__class__')", "function 'getattr' is not allowed"),
    ("eval('1')", "function 'eval' is not allowed"),
    ("exec('import os')", "function 'exec' is not allowed"),
    ("'a' * 10**9", "operator '\\*\\*' is not allowed"),
    ("'a' * 100000000", "repetition"),
    ("[0] * 100000000", "repetition"),
    ("x.__class__", "attribute access '.__class__' is not allowed"),
    ("{}.__class__", "attribute access '.__class__' is not allowed"),
    ('f"{().__class__}"', "f-string is not allowed"),
    ('f"{x}"', "f-string is not allowed"),
    ("x.format(1)", "attribute access '.format' is not allowed"),
    ("x.get", "can only be called"),
    ("(x := 1)", "':='"),
    ("[*items]", "starred"),
    ("{**feedback}", "dict unpacking"),
    ("len(items, key=1)", "keyword arguments"),
    ("_secret", "names starting with '_'"),
    ("items[0]()", "only the allowed functions"),
    ("1 << 1000000", "operator '<<' is not allowed"),
    ("b'bytes'", "constant b'bytes' is not allowed"),
]


@pytest.mark.parametrize("expression, message", ESCAPES)
def test_escape_attempt_is_refused_by_check(expression, message):
    with pytest.raises(ExpressionError, match=message) as info:
        check(expression)
    assert info.value.expression == expression


@pytest.mark.parametrize("expression, message", ESCAPES)
def test_escape_attempt_is_refused_by_evaluate(expression, message):
    with pytest.raises(ExpressionError, match=message):
        evaluate(expression, CASE)


def test_repetition_and_concatenation_are_capped_at_run_time():
    variables = {"s": "a", "n": 100_000_000, "big": "x" * 9_000, "row": [1] * 9_999}
    for expression in ("s * n", "n * s", "[s] * n", "big + big", "[row] * 9999", "str([row, row] * 10)"):
        with pytest.raises(ExpressionError):
            evaluate(expression, variables)
    assert len(evaluate("s * 10000", variables)) == 10_000


def test_huge_integer_products_are_refused():
    script = "a = 99999999999999999999\n" + "\n".join("a = a * a" for _ in range(12))
    with pytest.raises(ExpressionError, match="bits"):
        execute_script(script, {})


def test_variable_holding_a_callable_cannot_be_called():
    variables = {"f": print, "len": lambda value: "shadowed"}
    with pytest.raises(ExpressionError):
        evaluate("f('hi')", variables)
    # calls resolve only against the helpers; a variable named `len` is plain data
    assert evaluate("len([1, 2])", variables) == 2


def test_helper_name_without_call_is_not_a_value():
    with pytest.raises(ExpressionError, match="must be called"):
        evaluate("len", {})


def test_overlong_and_overnested_expressions_are_refused():
    with pytest.raises(ExpressionError, match="longer than"):
        check("1 + " * 700 + "1")
    with pytest.raises(ExpressionError, match="nested too deeply"):
        check("-" * 100 + "1")
    with pytest.raises(ExpressionError):
        check("(" * 300 + "1" + ")" * 300)


def test_non_string_expression_is_refused():
    with pytest.raises(ExpressionError, match="must be a string"):
        check(None)  # type: ignore[arg-type]


def test_evaluate_never_calls_python_eval_or_exec(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("Python's evaluator was called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    expressions._compile_expression.cache_clear()
    expressions._compile_script.cache_clear()
    assert evaluate("decision == 'refer' and contractor_report['cost'] * 2 > 2000", CASE) is True
    data = {"a": 1}
    execute_script("b = a + 1", data)
    assert data == {"a": 1, "b": 2}


def test_parsed_expressions_are_cached():
    expressions._compile_expression.cache_clear()
    for _ in range(5):
        evaluate("count + 1", CASE)
    info = expressions._compile_expression.cache_info()
    assert info.misses == 1 and info.hits == 4


# --- scripts ------------------------------------------------------------------------------------

def test_script_assigns_in_order_and_later_lines_see_earlier_ones():
    data = {"base": 10}
    execute_script("a = 1\n\n# a comment\nb = a + 1\ntotal = base + b\ntotal += 5", data)
    assert data == {"base": 10, "a": 1, "b": 2, "total": 17}


def test_indented_script_from_bpmn_xml_runs():
    data: dict = {}
    execute_script("\n        routing = 'north'\n        urgent = routing == 'north'\n    ", data)
    assert data == {"routing": "north", "urgent": True}


def test_failing_script_writes_nothing():
    data = {"a": 1}
    with pytest.raises(ExpressionError, match="unknown variable 'missing'"):
        execute_script("b = 2\nc = missing", data)
    assert data == {"a": 1}


def test_empty_script_is_fine():
    check_script("")
    check_script("# only a comment\n")


@pytest.mark.parametrize("script, message", [
    ("import os", "import is not allowed"),
    ("from os import system", "import is not allowed"),
    ("x.y = 1", "assignment to 'x.y' is not allowed"),
    ("x['k'] = 1", "assignment to"),
    ("a, b = 1, 2", "assignment to"),
    ("a = b = 1", "chained assignment"),
    ("for i in []: pass", "for loop is not allowed"),
    ("while True: pass", "while loop is not allowed"),
    ("def f(): pass", "function definition is not allowed"),
    ("class A: pass", "class definition is not allowed"),
    ("print('hi')", "bare expression is not allowed"),
    ("x.y += 1", "assignment to 'x.y'"),
    ("x **= 2", "augmented assignment"),
    ("_hidden = 1", "names starting with '_'"),
    ("a = __import__('os')", "name '__import__' is not allowed"),
    ("a = ().__class__", "attribute access"),
])
def test_script_with_anything_but_simple_assignments_is_refused(script, message):
    with pytest.raises(ExpressionError, match=message):
        check_script(script)
    with pytest.raises(ExpressionError, match=message):
        execute_script(script, {"x": {"y": 1}})


def test_str_of_a_value_fanned_out_by_a_script_is_refused():
    data: dict = {}
    execute_script("a = [1] * 9999\nb = [a, a, a, a, a, a, a, a, a, a, a]", data)
    with pytest.raises(ExpressionError, match="str\\(\\) refused"):
        evaluate("str(b)", data)
