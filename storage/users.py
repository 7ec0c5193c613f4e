"""The repository of users, their groups and API tokens."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.orm import Session

from storage.models import (
    ApiToken,
    Group,
    User,
    UserGroup,
)


class UserRepository:
    def __init__(self, session: Session):
        self.s = session

    def get(self, name: str) -> User | None:
        return self.s.scalars(select(User).where(User.name == name)).first()

    _ACTIVE_GROUPS = (select(User.session_generation, UserGroup.group_id)
                      .outerjoin(UserGroup, UserGroup.user_id == User.id)
                      .where(User.name == bindparam("name"), User.active.is_(True)))

    def active_groups(self, name: str, generation: int | None = None) -> frozenset[str] | None:
        """The group ids of the active user ``name`` (empty if in none), None if there is no such
        active user, or (``generation`` given: a session's) the user's sessions of that generation
        have been ended since. Plain rows, no User object with its eager-loaded groups: every
        request and every CLI command resolves its actor this way."""
        rows = self.s.execute(self._ACTIVE_GROUPS, {"name": name}).all()
        if not rows or (generation is not None and rows[0][0] != generation):
            return None
        return frozenset(group for _, group in rows if group is not None)

    def session_generation(self, name: str) -> int | None:
        """The generation a session begun now carries; None when there is no such active user."""
        return self.s.scalar(select(User.session_generation).where(User.name == name, User.active.is_(True)))

    def end_sessions(self, user: User) -> None:
        """Every session and API token of ``user`` ends now: the generation their cookies carry is
        no longer the user's, and their tokens are gone."""
        self.s.execute(update(User).where(User.id == user.id)
                       .values(session_generation=User.session_generation + 1))
        self.s.execute(delete(ApiToken).where(ApiToken.user_id == user.id))

    def disable(self, user: User) -> None:
        self.s.execute(update(User).where(User.id == user.id).values(active=False))

    def members(self, groups: list[str] | None) -> list[tuple[str, str]]:
        """(name, display name) of the active users in any of ``groups`` (every active user when
        None), by name: whom a supervisor may pick to hand a task to."""
        q = select(User.name, User.display_name).where(User.active.is_(True))
        if groups is not None:
            q = q.where(User.id.in_(select(UserGroup.user_id).where(UserGroup.group_id.in_(groups))))
        return [(n, d) for n, d in self.s.execute(q.order_by(User.name)).all()]

    def get_by_id(self, user_id: int) -> User | None:
        return self.s.get(User, user_id)

    def all(self) -> list[User]:
        return list(self.s.scalars(select(User).order_by(User.name)).unique())

    def display_names(self) -> dict[str, str]:
        """user name -> real name (the user name itself when none was given), for history pages."""
        return {name: shown or name for name, shown in self.s.execute(select(User.name, User.display_name))}

    def add(self, user: User) -> User:
        self.s.add(user)
        self.s.flush()
        return user

    def group(self, group_id: str) -> Group | None:
        return self.s.get(Group, group_id)

    def groups(self) -> list[Group]:
        return list(self.s.scalars(select(Group).order_by(Group.id)))

    def ensure_group(self, group_id: str, name: str) -> Group:
        group = self.s.get(Group, group_id)
        if group is None:
            group = Group(id=group_id, name=name)
            self.s.add(group)
        elif name and group.name != name:
            group.name = name
        return group

    def add_token(self, token: ApiToken) -> None:
        self.s.add(token)

    _BY_TOKEN = (select(User.name, UserGroup.group_id).join(ApiToken, ApiToken.user_id == User.id)
                 .outerjoin(UserGroup, UserGroup.user_id == User.id)
                 .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.expires_at > bindparam("now"),
                        User.active.is_(True)))

    def by_token(self, token_hash: str, now: datetime) -> tuple[str, frozenset[str]] | None:
        """The name and group ids of the active user an unexpired token hash belongs to, None if
        there is none: one statement through the token's primary key (every API call asks)."""
        rows = self.s.execute(self._BY_TOKEN, {"token_hash": token_hash, "now": now}).all()
        if not rows:
            return None
        return rows[0][0], frozenset(group for _, group in rows if group is not None)

    def set_password(self, user: User, password_hash: str) -> None:
        self.s.execute(update(User).where(User.id == user.id).values(password_hash=password_hash))
