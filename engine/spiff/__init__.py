"""The seam around SpiffWorkflow: the only package of wuye that imports it.

- ``clock``: SpiffWorkflow's reading of time goes through our Clock (``clock_context``);
- ``state``: stored state without the spec, the restored-spec cache, compaction;
- ``run``: ``Run``, a loaded workflow with the operations wuye needs, returning our own small types;
- ``sandbox`` / ``juel``: the script engine and the expression language of BPMN conditions;
- parsing BPMN/DMN into specs, for ``engine.deploy``.

Everything else imports the names below from ``engine.spiff``."""
from engine.spiff import timers as _timers  # noqa: F401 -- applies the timer bounds to SpiffWorkflow at import
from engine.spiff.clock import clock_context
from engine.spiff.run import Change, NotWaiting, Run, Snapshot, StepFailed, TaskNotReady, TimerView, UserTaskView
from engine.spiff.state import SERIALIZER_VERSION, ProcessSpec, StateRefused, load_spec, spec_to_dict

__all__ = ["SERIALIZER_VERSION", "Change", "NotWaiting", "ProcessSpec", "Run", "Snapshot", "StateRefused", "StepFailed",
           "TaskNotReady", "TimerView", "UserTaskView", "clock_context", "load_spec", "spec_to_dict"]
