"""The relational schema, one module per part: definitions, instances and their projections;
the audit log; people and who answers for a group; external tasks; the register; the calendar; settings;
notifications.

Every table is imported here so that ``Base.metadata`` holds them all."""
from storage.models.audit import AuditCheckpoint, ChainHead, ChainSeal, Event, MerkleNode
from storage.models.base import Base, BigId, UtcDateTime
from storage.models.calendar import CalendarChange, CalendarDay, CalendarYear
from storage.models.desk import Attachment, InstanceSearch
from storage.models.duty import DutyShift, GroupLead
from storage.models.external import ExternalTask, WorkerTopic
from storage.models.notify import Notification, NotifyChannel, NotifyContact
from storage.models.people import ApiToken, Group, LoginAttempt, User, UserGroup
from storage.models.process import Definition, Instance, Letter, Task, TaskCandidate, Violation
from storage.models.register import Room, RoomPerson
from storage.models.schedule import ProcessSchedule, ScheduledStart
from storage.models.settings import Setting

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditCheckpoint",
    "Base",
    "BigId",
    "CalendarChange",
    "CalendarDay",
    "CalendarYear",
    "ChainHead",
    "ChainSeal",
    "Definition",
    "DutyShift",
    "Event",
    "ExternalTask",
    "Group",
    "GroupLead",
    "Instance",
    "InstanceSearch",
    "Letter",
    "LoginAttempt",
    "MerkleNode",
    "Notification",
    "NotifyChannel",
    "NotifyContact",
    "ProcessSchedule",
    "Room",
    "RoomPerson",
    "ScheduledStart",
    "Setting",
    "Task",
    "TaskCandidate",
    "User",
    "UserGroup",
    "UtcDateTime",
    "Violation",
    "WorkerTopic",
]
