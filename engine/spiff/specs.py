"""Task specs wuye adds to SpiffWorkflow's, each registered with the serializer (engine/spiff/state.py).

- ``PassThroughTask``: a plain ``bpmn:task``. SpiffWorkflow makes it a NoneTask, which waits for a
  person; in Camunda (and the BPMN spec's reading of it) it is not work for anyone and passes
  straight through. A NoneTask's converter rebuilds it through ``__init__``, which sets ``manual``
  again, hence a class of its own rather than a flag."""
from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.defaults import NoneTask

__all__ = ["PassThroughTask"]


class PassThroughTask(NoneTask):  # untyped library's class
    def __init__(self, wf_spec: Any, bpmn_id: str, **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False
