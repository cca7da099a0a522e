"""The BPMN engine behind every case: SpiffWorkflow runs the item's process template.

A template is a BPMN 2.0 file in processes/ whose lanes are role codes (window_clerk, reviewer,
partner_reviewer, approver, applicant) and whose gateways read the `outcome` a task completed
with. The partner review of 联办件 is a parallel multi-instance task over the `partners` the
acceptance names: one instance, and one task, per partner department. The running state is
SpiffWorkflow's own serialization, gzipped into the case row, so a case resumes exactly where
it stopped and one transaction moves both the case and its process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from uuid import UUID

from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from yiwang.catalog.constants import HandlingKind

PROCESSES_DIR = Path(__file__).resolve().parent / "processes"
PROCESS_OF_KIND = {
    HandlingKind.IMMEDIATE: "immediate",
    HandlingKind.PROMISED: "promised",
    HandlingKind.JOINT: "joint",
}
_serializer = BpmnWorkflowSerializer()


@dataclass(frozen=True)
class ReadyTask:
    task_id: UUID
    spec: str  # the BPMN element id, e.g. "accept"
    name: str  # its Chinese name, e.g. "受理"
    lane: str  # the role code of its lane
    instance: object = None  # in a multi-instance task, this instance's item (a partner's id)


@cache
def _spec(process: str):
    parser = BpmnParser()
    parser.add_bpmn_file(str(PROCESSES_DIR / f"{process}.bpmn"))
    return parser.get_spec(process)


def process_xml(process: str) -> bytes:
    """The template's BPMN file; only the templates that ship are names (no path tricks)."""
    if process not in PROCESS_OF_KIND.values():
        raise ValueError(f"unknown process template {process!r}")
    return (PROCESSES_DIR / f"{process}.bpmn").read_bytes()


def start(process: str) -> BpmnWorkflow:
    workflow = BpmnWorkflow(_spec(process))
    workflow.do_engine_steps()
    return workflow


def dumps(workflow: BpmnWorkflow) -> bytes:
    return _serializer.serialize_json(workflow, use_gzip=True)


def loads(state: bytes) -> BpmnWorkflow:
    return _serializer.deserialize_json(bytes(state), use_gzip=True)


def ready_tasks(workflow: BpmnWorkflow) -> list[ReadyTask]:
    return [
        ReadyTask(
            task.id,
            task.task_spec.bpmn_id,
            task.task_spec.bpmn_name,
            task.task_spec.lane,
            _instance_item(task),
        )
        for task in workflow.get_tasks(state=TaskState.READY, manual=True)
    ]


def _instance_item(task) -> object:
    """The item a multi-instance task's instance was made for (its inputDataItem), else None.
    Read through the parent's spec: task data also carries it on to later tasks."""
    item = getattr(task.parent.task_spec, "input_item", None) if task.parent else None
    return task.data.get(item.bpmn_id) if item is not None else None


def complete(workflow: BpmnWorkflow, task_id: UUID, **data) -> None:
    """Complete a ready user task with its data (the gateways read `outcome`), then let the
    engine run until the process waits for people again."""
    task = workflow.get_task_from_id(task_id)
    if task is None or task.state != TaskState.READY:
        raise LookupError("task not ready")
    task.set_data(**data)
    task.run()
    workflow.do_engine_steps()


def progress(workflow: BpmnWorkflow) -> tuple[set[str], set[str]]:
    """(current, completed) BPMN element ids, for drawing the diagram."""
    current = {task.task_spec.bpmn_id for task in workflow.get_tasks(state=TaskState.READY)}
    done = {
        task.task_spec.bpmn_id
        for task in workflow.get_tasks(state=TaskState.COMPLETED)
        if task.task_spec.bpmn_id
    }
    return {element for element in current if element}, done - current
