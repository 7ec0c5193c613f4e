"""The database's own settings (storage.models.Setting): a few keys, each set once."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Setting


class SettingsRepository:
    def __init__(self, session: Session):
        self.s = session

    def get(self, key: str) -> str | None:
        found: str | None = self.s.scalar(select(Setting.value).where(Setting.key == key))
        return found

    def set(self, key: str, value: str, at: datetime) -> None:
        held = self.s.get(Setting, key)
        if held is None:
            self.s.add(Setting(key=key, value=value, set_at=at))
        else:
            held.value, held.set_at = value, at
        self.s.flush()
