"""Analytics over workflows: admins see everyone's figures, every other user only their own."""

from __future__ import annotations

from dataclasses import dataclass

from pymongo.database import Database
from pymongo.errors import ConnectionFailure

from services.accounts.admins import is_admin
from services.accounts.users import User, UserService
from services.analytics.pipelines import Period, analytics_pipeline
from services.analytics.report import AnalyticsReport, shape_report
from services.core.errors import DatabaseUnavailableError, ForbiddenError
from services.workflows.repository import WORKFLOWS


@dataclass(frozen=True)
class Person:
    """A user an admin can filter the figures by."""

    id: str
    username: str
    name: str


class AnalyticsService:
    """Runs the analytics aggregation on the server, scoped to what the viewer may see."""

    def __init__(self, db: Database, *, users: UserService) -> None:
        self.workflows = db[WORKFLOWS]
        self.users = users

    def report(self, *, viewer_id: str, period: Period, user_id: str | None = None) -> AnalyticsReport:
        """The figures for the period: the viewer's own, or (admins only) everyone's or one user's."""
        scope = self._scope(self._viewer(viewer_id), user_id)
        try:
            result: dict = next(self.workflows.aggregate(analytics_pipeline(period, scope)), {})
        except ConnectionFailure:
            raise DatabaseUnavailableError("The database did not answer. Try again in a moment.") from None
        return shape_report(result, period=period, user_id=scope)

    def can_see_everyone(self, *, viewer_id: str) -> bool:
        """True for admins."""
        return is_admin(self._viewer(viewer_id))

    def people(self, *, viewer_id: str) -> list[Person]:
        """Every user, for an admin's user filter; other viewers are refused."""
        if not self.can_see_everyone(viewer_id=viewer_id):
            raise ForbiddenError("Only admins can see other users' analytics.")
        return [Person(id=u.id, username=u.username, name=u.name) for u in self.users.everyone()]

    def _viewer(self, viewer_id: str) -> User:
        viewer = self.users.get(viewer_id)
        if viewer.disabled:
            raise ForbiddenError("This account is disabled.")
        return viewer

    @staticmethod
    def _scope(viewer: User, user_id: str | None) -> str | None:
        """Whose workflows the viewer asked for and may see; None is everyone's (admins only)."""
        if is_admin(viewer):
            return user_id
        if user_id not in (None, viewer.id):
            raise ForbiddenError("Only admins can see other users' analytics.")
        return viewer.id
