"""The script-engine sandbox (engine/spiff/: sandbox.py, expressions.py, scripts.py, limits.py)
against known Python sandbox escapes.

Every payload is tried through a real SpiffWorkflow run in the three places where BPMN text
becomes code: an exclusive gateway's sequence-flow condition, a script task and a boundary
timer's timeDuration (models in tests/bpmn/sandbox/, the payload substituted for {{PAYLOAD}}).
Each must make the workflow fail, and a canary proves nothing ran: payloads that would have a
side effect create the file CANARY in a tmp dir; introspection payloads would leave the leaked
object in the task data. A control test shows the canary does fire on SpiffWorkflow's stock
engine, so a passing test means "refused", not "the payload was broken".
"""
from __future__ import annotations

import contextlib
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions.message import CorrelationProperty, MessageEventDefinition
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # the repo has no packaging config yet; make `engine` importable
    sys.path.insert(0, str(_ROOT))

from engine.spiff.expressions import check_expression  # noqa: E402
from engine.spiff.limits import SAFE_FUNCTIONS, ResourceLimit, SandboxError, ScriptTimeout  # noqa: E402
from engine.spiff.sandbox import SandboxEnvironment, sandbox_script_engine  # noqa: E402
from engine.spiff.scripts import check_script  # noqa: E402

MODELS = Path(__file__).resolve().parents[1] / "bpmn" / "sandbox"
HARD = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
FUNCTIONS = {"day": lambda iso: int(iso[8:10])}
DATA = {"a": 1, "count": 1, "d": {"k": 1}}

# (id, code, kind): "expr" payloads run as `r = <code>` in a script; "{c}" is the canary path.
PAYLOADS = [
    ("dunder_import", "__import__('os').system('touch {c}')", "expr"),
    ("import_statement", "import os\nos.system('touch {c}')", "stmt"),
    ("from_import", "from os import system\nsystem('touch {c}')", "stmt"),
    ("subclasses_popen", "[k for k in ().__class__.__base__.__subclasses__() if k.__name__ == 'Popen'][0]"
                         "(['touch', '{c}'])", "expr"),
    ("mro_walk", "[].__class__.__mro__[-1].__subclasses__()", "expr"),
    ("lambda_globals", "(lambda: 0).__globals__['__builtins__']['__import__']('os').system('touch {c}')", "expr"),
    ("func_code", "(lambda: 0).__code__.co_consts", "expr"),
    ("str_format", "'{0.__class__.__base__}'.format(1)", "expr"),
    ("str_format_map", "'{x.__class__.__base__}'.format_map({'x': 1})", "expr"),
    ("str_format_method_ref", "str.format('{0.__class__}', 1)", "expr"),
    ("getattr_dunder", "getattr(getattr(a, '__class__'), '__base__')", "expr"),
    ("type_call", "type(a)", "expr"),
    ("vars_call", "vars()", "expr"),
    ("globals_call", "globals()['__builtins__']", "expr"),
    ("locals_call", "locals()", "expr"),
    ("open_write", "open('{c}', 'w')", "expr"),
    ("open_read", "open('/etc/passwd').read()", "expr"),
    ("eval_call", "eval(\"__import__('os').system('touch {c}')\")", "expr"),
    ("exec_call", "exec(\"import os; os.system('touch {c}')\")", "expr"),
    ("compile_call", "exec(compile(\"import os; os.system('touch {c}')\", 'x', 'exec'))", "expr"),
    ("generator_frame_walk", "(i for i in [1]).gi_frame.f_back.f_globals", "expr"),
    ("lambda_sys", "(lambda: __import__('sys'))().modules['os'].system('touch {c}')", "expr"),
    ("builtins_name", "__builtins__['__import__']('os').system('touch {c}')", "expr"),
    ("bases_comprehension", "[c for c in ().__class__.__bases__]", "expr"),
    ("setattr_call", "setattr(d, 'pwned', 1)", "expr"),
    ("delattr_call", "delattr(d, 'get')", "expr"),
    ("dunder_dict", "d.__class__.__dict__", "expr"),
    ("breakpoint_call", "breakpoint()", "expr"),
    ("help_call", "help()", "expr"),
    ("pow_tower", "9**9**9", "expr"),
    ("str_repeat_bomb", "'a'*10**9", "expr"),
    ("list_repeat_bomb", "[0]*10**9", "expr"),
    ("shift_bomb", "1 << 10**9", "expr"),
    ("pow_builtin_bomb", "pow(9, 9**9)", "expr"),
    ("ljust_bomb", "'a'.ljust(10**9)", "expr"),
    ("sum_huge_range", "sum(range(10**12))", "expr"),
    ("while_true", "while True: pass", "stmt"),
    ("percent_width_bomb", "'%999999999d' % 1", "expr"),
    ("fstring_width_bomb", "f'{a:>999999999}'", "expr"),
]
PLACES = ["gateway", "script", "timer"]
_PLAIN = (type(None), bool, int, float, str)


@pytest.fixture(autouse=True)
def _spiff_reads_our_clock():
    """engine.spiff.run routes SpiffWorkflow's timer clock through our Clock once it is imported (other
    test modules import it): these raw SpiffWorkflow runs read the real time through it."""
    from engine.clock import SystemClock
    from engine.spiff import clock_context
    with clock_context(SystemClock()):
        yield


def as_script(code: str, kind: str) -> str:
    return f"r = {code}" if kind == "expr" else code


def make_workflow(place: str, text: str, engine: PythonScriptEngine, data: dict | None = None) -> BpmnWorkflow:
    """Parse tests/bpmn/sandbox/<place>.bpmn with `text` in it and start it (not yet stepped)."""
    xml = (MODELS / f"{place}.bpmn").read_text(encoding="utf-8").replace("{{PAYLOAD}}", escape(text))
    parser = CamundaParser()
    parser.add_bpmn_xml(etree.fromstring(xml.encode(), HARD), filename=f"{place}.bpmn")
    if place == "decide":
        parser.add_dmn_xml(etree.fromstring((MODELS / "tier.dmn").read_bytes(), HARD), filename="tier.dmn")
    wf = BpmnWorkflow(parser.get_spec(place), parser.get_subprocess_specs(place), script_engine=engine)
    wf.get_tasks(state=TaskState.READY)[0].data.update(DATA if data is None else data)
    return wf


def run_payload(place: str, code: str, kind: str) -> tuple[BpmnWorkflow, WorkflowException]:
    text = as_script(code, kind) if place == "script" else code
    wf = make_workflow(place, text, sandbox_script_engine(FUNCTIONS))
    with pytest.raises(WorkflowException) as err:
        wf.do_engine_steps()
    return wf, err.value


def assert_nothing_leaked(wf: BpmnWorkflow) -> None:
    def plain(v: object) -> bool:
        if isinstance(v, (list, tuple)):
            return all(plain(x) for x in v)
        if isinstance(v, dict):
            return all(plain(k) and plain(x) for k, x in v.items())
        return isinstance(v, _PLAIN)

    for task in wf.get_tasks():
        assert "r" not in task.data, f"{task.task_spec.name} received {task.data['r']!r}"
        assert task.data.get("d") in (None, {"k": 1})
        assert plain(task.data), f"{task.task_spec.name} holds a non-data object: {task.data!r}"
    assert not [t for t in wf.get_tasks(spec_name="end_true") if t.state == TaskState.COMPLETED]


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize(("name", "code", "kind"), PAYLOADS, ids=[p[0] for p in PAYLOADS])
def test_escape_payload_is_refused_in_a_real_run_and_nothing_runs(place, name, code, kind, tmp_path):
    canary = tmp_path / "CANARY"
    started = time.monotonic()
    wf, err = run_payload(place, code.replace("{c}", str(canary)), kind)
    assert time.monotonic() - started < 3
    assert not canary.exists()
    assert_nothing_leaked(wf)
    assert err.task_spec.name == {"gateway": "gw", "script": "run", "timer": "timeout"}[place]
    failed = [t.task_spec.name for t in wf.get_tasks(state=TaskState.ERROR)]
    assert failed == {"gateway": ["gw"], "script": ["run"], "timer": []}[place]  # a failed timer is not ERROR


@pytest.mark.parametrize("place", PLACES)
def test_the_canary_fires_on_the_stock_engine_so_the_payloads_are_real(place, tmp_path):
    canary = tmp_path / "CANARY"
    code = f"__import__('os').system('touch {canary}') == 0"
    wf = make_workflow(place, as_script(code, "expr") if place == "script" else code, PythonScriptEngine())
    with contextlib.suppress(Exception):  # the timer fails after the fact: the result is not an ISO duration
        wf.do_engine_steps()
    assert canary.exists()


@pytest.mark.parametrize(("name", "code", "kind"), PAYLOADS, ids=[p[0] for p in PAYLOADS])
def test_check_expression_refuses_every_payload_with_a_message(name, code, kind):
    with pytest.raises(SandboxError) as err:
        check_expression(code.replace("{c}", "/tmp/x"), set(FUNCTIONS))
    assert err.value.message


@pytest.mark.parametrize(("name", "code", "kind"), PAYLOADS, ids=[p[0] for p in PAYLOADS])
def test_check_script_refuses_every_payload_with_a_line_number(name, code, kind):
    with pytest.raises(SandboxError) as err:
        check_script(as_script(code.replace("{c}", "/tmp/x"), kind))
    assert err.value.message.startswith("line ")


# --- escapes and bombs that only show at run time --------------------------------------------

RUNTIME_SCRIPT_ESCAPES = [  # an alias is not a call, so check_script passes them; the builtins lack them
    ("aliased_open", "o = open\no('{c}', 'w')"),
    ("aliased_eval", "e = eval\ne(\"__import__('os').system('touch {c}')\")"),
    ("aliased_globals", "g = globals\nr = g()"),
    ("aliased_type", "t = type\nr = t(a)"),
    ("aliased_pow", "p = pow\nr = p(9, 9 ** 9)"),
    ("aliased_help", "h = help\nh()"),
]


@pytest.mark.parametrize(("name", "script"), RUNTIME_SCRIPT_ESCAPES, ids=[e[0] for e in RUNTIME_SCRIPT_ESCAPES])
def test_runtime_escapes_in_a_script_task_are_refused_and_nothing_runs(name, script, tmp_path):
    canary = tmp_path / "CANARY"
    script = script.replace("{c}", str(canary))
    check_script(script)
    wf = make_workflow("script", script, sandbox_script_engine(FUNCTIONS))
    with pytest.raises(WorkflowException) as err:
        wf.do_engine_steps()
    assert err.value.error_type == "NameError"
    assert not canary.exists()
    assert_nothing_leaked(wf)


RUNTIME_SCRIPT_BOMBS = [
    ("endless_loop_with_a_variable", "i = 0\nwhile i >= 0:\n    i += 1\nescaped = True"),
    ("timeout_caught_by_except", "i = 0\nwhile i >= 0:\n    try:\n        while i >= 0:\n            i += 1\n"
                                 "    except Exception:\n        pass\nescaped = True"),
    ("timeout_caught_by_bare_except_in_a_function",
     "def spin():\n    n = 1\n    while n:\n        n += 1\ndef guard():\n    try:\n        spin()\n"
     "    except:\n        return 0\nguard()\nescaped = True"),
    ("timeout_swallowed_by_finally", "def f():\n    try:\n        while a:\n            pass\n    finally:\n"
                                     "        return 1\nf()\nescaped = True"),
    ("doubling_string", "s = 'ab'\nfor i in range(40):\n    s = s + s\nescaped = True"),
    ("repetition_by_variable", "n = 10 ** 9\ns = 'a' * n\nescaped = True"),
    ("augmented_repetition", "s = 'a'\ns *= a * 10 ** 9\nescaped = True"),
    ("augmented_power", "x = 9\nx **= 9 ** 9\nescaped = True"),
    ("squaring_loop", "x = 3\nfor i in range(30):\n    x = x * x\nescaped = True"),
    ("range_by_variable", "n = 10 ** 12\nt = sum(range(n))\nescaped = True"),
    ("extend_doubling", "l = [0] * 1000\nfor i in range(30):\n    l.extend(l)\nescaped = True"),
    ("join_multiplying", "s = 'x' * 99999\nt = s.join([s] * 99999)\nescaped = True"),
    ("replace_multiplying", "s = 'a' * 99999\nt = s.replace('a', s)\nescaped = True"),
    ("percent_star_width", "n = 10 ** 9\nt = '%*d' % (n, 1)\nescaped = True"),
    ("fstring_dynamic_width", "n = 10 ** 9\nt = f'{a:>{n}}'\nescaped = True"),
    ("sum_of_lists", "l = [[0] * 99999] * 99999\nt = sum(l, [])\nescaped = True"),
]


@pytest.mark.parametrize(("name", "script"), RUNTIME_SCRIPT_BOMBS, ids=[b[0] for b in RUNTIME_SCRIPT_BOMBS])
def test_runtime_bombs_in_a_script_task_stop_within_seconds(name, script):
    check_script(script)  # nothing visible in the source ...
    wf = make_workflow("script", script, sandbox_script_engine(FUNCTIONS))
    started = time.monotonic()
    with pytest.raises(WorkflowException) as err:
        wf.do_engine_steps()  # ... but the run is stopped
    assert time.monotonic() - started < 3
    assert err.value.error_type in ("ScriptTimeout", "IterableTooLong", "NumberTooHigh", "TypeError")
    assert all("escaped" not in t.data for t in wf.get_tasks())


def test_the_previous_tracer_is_restored_after_a_script():
    def tracer(frame, event, arg):
        return None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        env = SandboxEnvironment({})
        env.execute("x = 1", {}, {})
        with pytest.raises(ScriptTimeout):
            env.execute("i = 0\nwhile i >= 0:\n    i += 1", {}, {})
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(previous)


@pytest.mark.parametrize("place", ["gateway", "timer"])
@pytest.mark.parametrize("expression", ["'a' * (big ** 3)", "9 ** (big * 2)", "[0] * big * big", "1 << big * 100",
                                        "sum(range(big ** 4))", "'x'.join(['ab'] * big) * big",
                                        "('x' * big * 99).join(['a' * big * 99] * big * 99)",
                                        "('a' * big * 99).replace('a', 'b' * big * 99)",
                                        "'%*d' % (big ** 3, 1)", "f'{big:>{big ** 3}}'", "str.join('', ['a'] * big)",
                                        "sum([[0] * big * 99] * big * 99, [])"])
def test_runtime_bombs_in_expressions_stop_within_seconds(place, expression):
    check_expression(expression, set())  # nothing visible in the source
    wf = make_workflow(place, expression, sandbox_script_engine(FUNCTIONS), {"big": 1000})
    started = time.monotonic()
    with pytest.raises(WorkflowException) as err:
        wf.do_engine_steps()
    assert time.monotonic() - started < 3
    assert isinstance(err.value.__context__ or err.value.__cause__, (SandboxError, TypeError))


def test_simpleeval_limits_surface_with_simpleevals_own_error_names():
    import simpleeval

    env = SandboxEnvironment({})
    with pytest.raises(simpleeval.IterableTooLong):
        env.evaluate("'a'*10**9", {})
    with pytest.raises(simpleeval.NumberTooHigh):
        env.evaluate("9**9**9", {})


# --- what still works ------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "expected_end"), [(9, "end_true"), (2, "end_default")])
def test_a_plain_gateway_condition_still_routes(count, expected_end):
    check_expression("count > 5", set())
    wf = make_workflow("gateway", "count > 5", sandbox_script_engine(FUNCTIONS), {"count": count})
    wf.do_engine_steps()
    assert wf.is_completed()
    assert wf.get_tasks(spec_name=expected_end)[0].state == TaskState.COMPLETED


@pytest.mark.parametrize("expression", ['"PT2H"', "'PT' + str(hours) + 'H'", "'PT%dH' % hours"])
def test_a_timer_expression_still_sets_the_due_time(expression):
    check_expression(expression, set())
    wf = make_workflow("timer", expression, sandbox_script_engine(FUNCTIONS), {"hours": 2})
    before = datetime.now(UTC)
    wf.do_engine_steps()
    (event,) = wf.waiting_events()
    due = datetime.fromisoformat(event.value)
    assert before + timedelta(hours=2) <= due <= datetime.now(UTC) + timedelta(hours=2)


LEGIT_SCRIPT = """\
x = a + 1
a += 1
d['k'] = [1]
d['k'].append(2)
del gone
def double(v):
    return v * 2
doubled = [double(i) for i in items if i > 1]
by_key = {k: v for k, v in d.items()}
n, m = 1, 2
for i, (p, q) in enumerate([(1, 2), (3, 4)]):
    total = i + p + q
kilo = 2 ** 10
word = 'ab' * 3
word += 'c'
try:
    ratio = 1 / 0
except ZeroDivisionError:
    ratio = 0
finally:
    done = True
label = ' Repair '.strip().lower()
biggest = max(sorted(items))
"""


def test_a_legit_script_still_runs_and_writes_plain_data_back():
    check_script(LEGIT_SCRIPT)
    data = {"a": 1, "d": {}, "gone": 1, "items": [1, 2, 3]}
    wf = make_workflow("script", LEGIT_SCRIPT, sandbox_script_engine(FUNCTIONS), data)
    wf.do_engine_steps()
    assert wf.is_completed()
    out = wf.get_tasks(spec_name="end")[0].data
    assert out == {"a": 2, "d": {"k": [1, 2]}, "items": [1, 2, 3], "x": 2, "doubled": [4, 6],
                   "by_key": {"k": [1, 2]}, "n": 1, "m": 2, "i": 1, "p": 3, "q": 4, "total": 8,
                   "kilo": 1024, "word": "abababc", "ratio": 0, "done": True, "label": "repair",
                   "biggest": 3}


def test_a_script_runtime_error_keeps_its_line_number():
    wf = make_workflow("script", "x = 1\ny = 1 / 0", sandbox_script_engine(FUNCTIONS))
    with pytest.raises(WorkflowException) as err:
        wf.do_engine_steps()
    assert (err.value.line_number, err.value.error_line) == (2, "y = 1 / 0")


def test_a_refused_script_reports_a_syntax_error_with_its_line_number():
    wf = make_workflow("script", "x = 1\nimport os", sandbox_script_engine(FUNCTIONS))
    with pytest.raises(WorkflowException) as err:
        wf.do_engine_steps()
    assert err.value.error_type == "SyntaxError" and err.value.line_number == 2


@pytest.mark.parametrize(("amount", "due", "tier"), [(5000, "2026-03-20", "high"), (500, "2026-03-10", "mid-early"),
                                             (500, "2026-03-20", "mid-late"), (50, "2026-03-10", "low")])
def test_a_dmn_table_with_question_mark_cells_and_a_function_still_decides(amount, due, tier):
    wf = make_workflow("decide", "", sandbox_script_engine(FUNCTIONS), {"amount": amount, "due": due})
    wf.do_engine_steps()
    assert wf.is_completed()
    assert wf.get_tasks(spec_name="end")[0].data["tier"] == tier


def test_message_correlation_expressions_go_through_the_sandbox():
    engine = sandbox_script_engine(FUNCTIONS)
    event = MessageEventDefinition("docs", correlation_properties=[
        CorrelationProperty("order", "order['id']", ["order_key"])])
    assert event.calculate_correlations(engine, event.correlation_properties, {"order": {"id": 7}}) == \
        {"order_key": {"order": 7}}
    evil = [CorrelationProperty("x", "__import__('os')", ["k"])]
    with pytest.raises(Exception, match="import"):
        event.calculate_correlations(engine, evil, {})


@pytest.mark.parametrize("expression", ["count > 5", '"PT2H"', "day(due) < 15", "x.lower() in ('a', 'b')",
                                        "d.get('k', 0) + len(items)", "[i * 2 for i in items if i]",
                                        "f'{amount} yuan'", "-(2 ** 10) < a", "sum(range(100))"])
def test_check_expression_accepts_ordinary_expressions(expression):
    check_expression(expression, set(FUNCTIONS))


def test_check_expression_names_the_unknown_function():
    with pytest.raises(SandboxError, match='unknown function "days_left"'):
        check_expression("days_left(due) < 3", set(FUNCTIONS))


def test_safe_functions_are_the_documented_set():
    assert set(SAFE_FUNCTIONS) == {"int", "float", "str", "bool", "len", "min", "max", "abs", "round", "sum",
                                   "sorted", "any", "all", "list", "dict", "set", "tuple", "range",
                                   "enumerate", "zip"}
    with pytest.raises(ResourceLimit):
        SAFE_FUNCTIONS["range"](100_001)


# --- budgets (issue 14, finding 2): within every size limit, one item at a time -----------------

CPU_BOMB = "sum([sum(range(99999)) for i in range(9999)]) > 0"
MEMORY_BOMB = "len([[0]*99999 for i in range(9999)]) > 0"


def dmn_workflow(cell: str, engine: PythonScriptEngine) -> BpmnWorkflow:
    """tests/bpmn/sandbox/decide.bpmn with ``cell`` as the first rule's amount cell of tier.dmn."""
    dmn = (MODELS / "tier.dmn").read_text(encoding="utf-8").replace("? &gt;= 1000", escape(cell), 1)
    parser = CamundaParser()
    parser.add_bpmn_xml(etree.fromstring((MODELS / "decide.bpmn").read_bytes(), HARD), filename="decide.bpmn")
    parser.add_dmn_xml(etree.fromstring(dmn.encode(), HARD), filename="tier.dmn")
    wf = BpmnWorkflow(parser.get_spec("decide"), parser.get_subprocess_specs("decide"), script_engine=engine)
    wf.get_tasks(state=TaskState.READY)[0].data.update({"amount": 5, "due": "2026-11-20"})
    return wf


@pytest.mark.parametrize("place", ["gateway", "timer", "decision table"])
@pytest.mark.parametrize("bomb", [CPU_BOMB, MEMORY_BOMB], ids=["cpu", "memory"])
def test_an_expression_past_its_budget_stops_within_seconds_with_the_budget_named(place, bomb):
    check_expression(bomb, set())                           # it deploys: nothing visible in the source
    engine = sandbox_script_engine(FUNCTIONS)
    wf = dmn_workflow(bomb, engine) if place == "decision table" else make_workflow(place, bomb, engine, {})
    started = time.monotonic()
    with pytest.raises(WorkflowException) as err:
        wf.do_engine_steps()
    assert time.monotonic() - started < 3
    cause = err.value.__context__ or err.value.__cause__
    assert isinstance(cause, ScriptTimeout)
    assert "表达式超出时间预算" in str(cause) and "WUYE_SANDBOX_SECONDS" in str(cause)


def test_an_expression_that_grows_memory_past_its_budget_is_stopped_by_the_memory_budget(monkeypatch):
    import engine.spiff.limits as limits
    monkeypatch.setattr(limits, "EVAL_SECONDS", 30.0)       # the time budget out of the way
    monkeypatch.setattr(limits, "EVAL_MEMORY_MB", 64)
    # MemoryLimit, not ScriptTimeout, is what shows the memory budget stopped it: how long growing
    # 64 MB takes depends on how busy the machine is, so no wall-clock bound is asserted here.
    with pytest.raises(limits.MemoryLimit) as err:
        SandboxEnvironment({}).evaluate(MEMORY_BOMB, {})
    assert "表达式超出内存预算 64 MB" in err.value.message


def test_a_step_budget_caps_every_expression_in_it():
    from engine.spiff.limits import StepTimeout, step_budget
    env = SandboxEnvironment({})
    started = time.monotonic()
    with step_budget(0.3), pytest.raises(StepTimeout) as err:
        env.evaluate(CPU_BOMB, {})
    assert time.monotonic() - started < 1.0
    assert "步骤超出时间预算 0.3 秒" in err.value.message
