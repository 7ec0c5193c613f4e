"""The script-engine sandbox: what SpiffWorkflow is given to run BPMN text.

Why: SpiffWorkflow's stock engine runs BPMN text (gateway conditions, timer expressions, DMN
cells, script tasks) with plain eval/exec and full builtins, so anyone who can deploy a BPMN
file could run ``__import__('os').system(...)`` on the server. Here expressions go through
simpleeval (engine/spiff/expressions.py) and script tasks through RestrictedPython
(engine/spiff/scripts.py), both further bounded (engine/spiff/limits.py: CPU lines, time,
big-number and repetition bombs), and the deploy-time checks refuse the same things statically,
before anything runs. This module only ties them to SpiffWorkflow: the *environment* is replaced,
not just the engine, because message correlation and completion conditions call
``script_engine.environment.evaluate`` directly. The environment is not serialized: set
``wf.script_engine`` after a load.

Not covered (in-process Python cannot bound everything): C-level work on values that are each
within limits, e.g. str() of a list holding one 100,000-item list 100,000 times. Run workflow
steps in a worker process with RLIMIT_AS and a wall-clock kill as the outer fence.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.spiff.expressions import evaluate
from engine.spiff.limits import SAFE_FUNCTIONS
from engine.spiff.scripts import ScriptRunner

__all__ = ["SandboxEnvironment", "sandbox_script_engine"]


class SandboxEnvironment(BasePythonScriptEngineEnvironment):  # untyped library: an Any base, allowed in the seam
    """Expressions (conditions, timers, DMN cells, correlations) -> simpleeval; scripts -> RestrictedPython."""

    def __init__(self, functions: Mapping[str, Callable[..., Any]] | None = None) -> None:
        super().__init__({})
        self.functions = {**SAFE_FUNCTIONS, **(functions or {})}
        self._scripts = ScriptRunner(self.functions)

    # SpiffWorkflow's signatures: task data (JSON-like values) in, whatever the expression computes out.
    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: dict[str, Any] | None = None) -> Any:
        """DMN passes `dmninputexpr` (the `?` of a cell) in external_context; task data wins."""
        return evaluate(expression, {**(external_context or {}), **context}, self.functions)

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        self._scripts.run(script, context, external_context or {})
        return True


def sandbox_script_engine(functions: Mapping[str, Callable[..., Any]]) -> PythonScriptEngine:
    """The engine to give every BpmnWorkflow, including after every deserialize_json."""
    return PythonScriptEngine(environment=SandboxEnvironment(functions))
