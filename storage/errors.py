"""What storage raises for the layers above to map (to Conflict, in the use-case runner)."""
from __future__ import annotations


class ConcurrentUpdate(Exception):
    """Someone else changed the same rows first; the caller's whole transaction was rolled back."""
