"""The auditors' tools (品质部): signed checkpoints of the event log (note.py)."""
