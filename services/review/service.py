"""ReviewService: owners share a workflow through links; link holders view it and leave decisions and comments."""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Callable
from datetime import datetime, timedelta

from bson import ObjectId

from services.accounts.audit import AuditLog
from services.core.errors import ForbiddenError, LinkGoneError, NotFoundError, PasscodeRequiredError, ValidationError
from services.core.settings import Settings
from services.core.validation import check_int_range, clean_text
from services.review.credentials import hash_passcode, hash_token, new_token, passcode_matches
from services.review.domain import (
    Decision,
    ReviewComment,
    ReviewFrame,
    ReviewLink,
    ReviewPermission,
    ReviewScope,
    ReviewView,
)
from services.review.guard import TokenGuard
from services.review.repository import ReviewRepository
from services.studio.service import EventSink, VideoWorkflowService
from services.workflows.domain import VideoWorkflow, WorkflowStep
from services.workflows.rules import FrameReview

log = logging.getLogger(__name__)
BRIEF_EXCERPT_CHARS = 280
MAX_TOKEN_LENGTH = 100
MAX_NAME_LENGTH = 80
MAX_PASSCODE_LENGTH = 200
INVALID_LINK = "This review link is not valid. Check the address, or ask the sender for a new link."


class ReviewService:
    """Links are scoped to one workflow; a token only ever reads that workflow and writes its review comments."""

    def __init__(
        self,
        *,
        repository: ReviewRepository,
        workflows: VideoWorkflowService,
        guard: TokenGuard,
        audit: AuditLog,
        settings: Settings,
        clock: Callable[[], datetime],
        events: EventSink | None = None,
    ) -> None:
        self.repository, self.workflows, self.guard, self.audit = repository, workflows, guard, audit
        self.settings, self.clock, self.events = settings, clock, events

    # ---- the owner --------------------------------------------------------------------------------

    def create_link(
        self,
        *,
        user_id: str,
        workflow_id: str,
        scope: str = ReviewScope.BOTH,
        permission: str = ReviewPermission.REVIEW,
        expires_in_days: int | None = None,
        passcode: str | None = None,
    ) -> tuple[ReviewLink, str]:
        """A new link and its token; the token is returned only here (only its hash is kept)."""
        self.workflows.get_workflow(user_id=user_id, workflow_id=workflow_id)
        days = expires_in_days if expires_in_days is not None else self.settings.REVIEW_LINK_DEFAULT_DAYS
        check_int_range(days, field="Expiry", minimum=1, maximum=self.settings.REVIEW_LINK_MAX_DAYS, unit="days")
        code = clean_text(passcode, field="Passcode", max_length=MAX_PASSCODE_LENGTH, required=False)
        if code and len(code) < 4:
            raise ValidationError("A passcode needs at least 4 characters.")
        token, now = new_token(), self.clock()
        link = ReviewLink(
            id=str(ObjectId()),
            workflow_id=workflow_id,
            owner_id=user_id,
            token_hash=hash_token(token),
            scope=_parse(ReviewScope, scope, "Scope"),
            permission=_parse(ReviewPermission, permission, "Permission"),
            passcode_hash=hash_passcode(code) if code else None,
            expires_at=now + timedelta(days=days),
            created_at=now,
        )
        self.repository.insert_link(link)
        self.audit.record(
            "review.link_created", actor=user_id, workflowId=workflow_id, linkId=link.id, scope=link.scope.value
        )
        return link, token

    def list_links(self, *, user_id: str, workflow_id: str) -> list[ReviewLink]:
        """The workflow's links, newest first."""
        self.workflows.get_workflow(user_id=user_id, workflow_id=workflow_id)
        return self.repository.links_for_workflow(workflow_id)

    def revoke_link(self, *, user_id: str, workflow_id: str, link_id: str) -> ReviewLink:
        """Revoke a link of the workflow; it stops working at once."""
        self.workflows.get_workflow(user_id=user_id, workflow_id=workflow_id)
        link = self.repository.link(link_id)
        if link is None or link.workflow_id != workflow_id:
            raise NotFoundError(f"Review link {link_id} was not found on this workflow.")
        self.repository.revoke(link_id, self.clock())
        self.audit.record("review.link_revoked", actor=user_id, workflowId=workflow_id, linkId=link_id)
        return self.repository.link(link_id) or link

    def comments_for_owner(self, *, user_id: str, workflow_id: str) -> list[ReviewComment]:
        """Every stakeholder comment on the workflow, oldest first."""
        self.workflows.get_workflow(user_id=user_id, workflow_id=workflow_id)
        return self.repository.comments_for_workflow(workflow_id)

    def use_as_feedback(self, *, user_id: str, workflow_id: str, comment_id: str) -> VideoWorkflow:
        """Copy a stakeholder's frame comment into that frame's regeneration feedback (the frame is then rejected)."""
        comment = next(
            (c for c in self.comments_for_owner(user_id=user_id, workflow_id=workflow_id) if c.id == comment_id), None
        )
        if comment is None or comment.frame_number is None or not comment.body:
            raise NotFoundError("That stakeholder comment has no frame feedback to use.")
        workflow = self.workflows.get_workflow(user_id=user_id, workflow_id=workflow_id)
        frame = workflow.frame(comment.frame_number)
        if frame is None:
            raise NotFoundError("The frame this comment is about no longer exists.")
        if workflow.current_step is WorkflowStep.COMPLETED:  # feedback on a finished video: frames can change again
            self.workflows.reopen_frames(user_id=user_id, workflow_id=workflow_id)
        current = (frame.feedback or "").strip()
        feedback = comment.body if not current or comment.body in current else f"{current}\n{comment.body}"
        reviews = [FrameReview(comment.frame_number, False, feedback)]
        return self.workflows.review_frames(user_id=user_id, workflow_id=workflow_id, reviews=reviews)

    # ---- link holders -------------------------------------------------------------------------------

    def open(self, *, token: str, ip: str, passcode: str | None = None, audited: bool = True) -> ReviewView:
        """What the link shows; every opening is audited (the UI audits once per session)."""
        link, workflow = self._authorize(token, ip, passcode)
        if audited:
            self.audit.record("review.viewed", actor=f"review-link:{link.id}", workflowId=workflow.id, linkId=link.id, ip=ip)
        frames = []
        if link.scope.shows_frames:
            frames = [
                ReviewFrame(
                    frame_number=f.frame_number, position=i + 1, scene=f.scene, version=f.version, image_key=f.image_key
                )
                for i, f in enumerate(workflow.generated_frames)
            ]
        video = workflow.video_output if link.scope.shows_video else None
        return ReviewView(
            link_id=link.id,
            workflow_id=workflow.id,
            scope=link.scope,
            permission=link.permission,
            title=workflow.title,
            brief=textwrap.shorten(workflow.initial_prompt, width=BRIEF_EXCERPT_CHARS, placeholder="…"),
            frames=frames,
            video_key=video.video_key if video else None,
            video_seconds=video.duration if video else None,
            expires_at=link.expires_at,
            comments=self.repository.comments_for_link(link.id),
        )

    def add_comment(
        self,
        *,
        token: str,
        ip: str,
        reviewer_name: str,
        decision: str,
        passcode: str | None = None,
        frame_number: int | None = None,
        body: str | None = None,
        at_seconds: float | None = None,
    ) -> ReviewComment:
        """A decision on a frame (approve, or request changes with a comment), or a comment on the video."""
        link, workflow = self._authorize(token, ip, passcode)
        if link.permission is not ReviewPermission.REVIEW:
            raise ForbiddenError("This link is view-only: it cannot approve or comment.")
        name = clean_text(reviewer_name, field="Your name", max_length=MAX_NAME_LENGTH, required=True)
        text = clean_text(body, field="Comment", max_length=self.settings.MAX_NOTES_LENGTH, required=False)
        choice = _parse(Decision, decision, "Decision")
        version = self._check_target(link, workflow, frame_number, choice, text, at_seconds)
        comment = ReviewComment(
            id=str(ObjectId()),
            link_id=link.id,
            workflow_id=workflow.id,
            reviewer_name=name,
            frame_number=frame_number,
            frame_version=version,
            decision=choice,
            body=text,
            at_seconds=at_seconds,
            created_at=self.clock(),
        )
        self.repository.insert_comment(comment)
        self.audit.record(
            "review.comment_added", actor=f"review-link:{link.id}", workflowId=workflow.id, commentId=comment.id, ip=ip
        )
        self._emit(workflow, comment)
        return comment

    def _check_target(
        self,
        link: ReviewLink,
        workflow: VideoWorkflow,
        frame_number: int | None,
        decision: Decision,
        text: str,
        at_seconds: float | None,
    ) -> int | None:
        if frame_number is not None:
            frame = workflow.frame(frame_number) if link.scope.shows_frames else None
            if frame is None:
                raise NotFoundError(f"This review has no frame {frame_number}.")
            if decision is Decision.COMMENT or at_seconds is not None:
                raise ValidationError("A frame takes a decision (approve or changes), not a timestamp.")
            if decision is Decision.CHANGES and not text:
                raise ValidationError("Say what should change when you request changes.")
            return frame.version
        video = workflow.video_output if link.scope.shows_video else None
        if video is None:
            raise NotFoundError("This review has no video to comment on.")
        if decision is not Decision.COMMENT or not text:
            raise ValidationError("A video comment needs its text (decision: comment).")
        if at_seconds is not None and not 0 <= at_seconds <= video.duration:
            raise ValidationError(f"The timestamp must be between 0 and {video.duration} seconds.")
        return None

    def _authorize(self, token: str, ip: str, passcode: str | None) -> tuple[ReviewLink, VideoWorkflow]:
        """The link and its workflow; wrong tokens and passcodes count against the IP's limit."""
        self.guard.check(ip)
        link = self.repository.link_by_token_hash(hash_token(token)) if 0 < len(token or "") <= MAX_TOKEN_LENGTH else None
        if link is None:
            self.audit.record("review.token_rejected", actor=ip, ip=ip)
            self.guard.failed(ip)
            raise NotFoundError(INVALID_LINK)
        status = link.status(self.clock())
        if status == "revoked":
            raise LinkGoneError("This link was revoked. Ask the sender for a new one.")
        if status == "expired":
            raise LinkGoneError("This link has expired. Ask the sender for a new one.")
        if link.passcode_hash is not None and not passcode_matches(passcode, link.passcode_hash):
            if passcode:
                self.audit.record("review.passcode_rejected", actor=ip, ip=ip, linkId=link.id)
                self.guard.failed(ip)
                raise PasscodeRequiredError("That passcode is not right.")
            raise PasscodeRequiredError("This link needs its passcode.")
        workflow = self.workflows.repository.get(link.workflow_id)
        if workflow is None or workflow.deleted_at is not None:
            raise LinkGoneError("The video this link shared is no longer available.")
        return link, workflow

    def _emit(self, workflow: VideoWorkflow, comment: ReviewComment) -> None:
        if self.events is None:
            return
        data = {
            "workflowId": workflow.id,
            "title": workflow.title,
            "linkId": comment.link_id,
            "commentId": comment.id,
            "reviewerName": comment.reviewer_name,
            "frameNumber": comment.frame_number,
            "decision": comment.decision.value,
            "comment": comment.body,
            "atSeconds": comment.at_seconds,
        }
        try:
            self.events.emit(user_id=workflow.user_id, event_type="review.comment_added", data=data)
        except Exception:  # noqa: BLE001 - the outbox is best effort next to the comment itself
            log.exception("could not queue review.comment_added for workflow %s", workflow.id)


def _parse(kind, value: str, field: str):  # type: ignore[no-untyped-def]
    try:
        return kind(value)
    except ValueError:
        raise ValidationError(f"{field} must be one of: {', '.join(v.value for v in kind)}.") from None
