"""The public review page a link opens: no account, no sidebar; the storyboard and video, decisions and comments."""

from __future__ import annotations

import streamlit as st

from services.accounts.rate_limits import RateLimitedError
from services.bootstrap import Runtime
from services.core.errors import LinkGoneError, NotFoundError, PasscodeRequiredError, StudioError
from services.review.domain import Decision, ReviewComment, ReviewFrame, ReviewPermission, ReviewView
from services.review.service import ReviewService
from ui.auth import browser_ip
from ui.media_urls import media_src
from ui.presentation import PRESENT_PARAM, Slide, render_presentation
from ui.widgets import show_error

REVIEW_PARAM = "review"
NAME_KEY, PASSCODE_KEY = "reviewer_name", "review_passcode"
DECISION_LABELS = {Decision.APPROVE: "Approved", Decision.CHANGES: "Requested changes", Decision.COMMENT: "Comment"}
COLUMNS = 3


def review_service(runtime: Runtime) -> ReviewService:
    """The runtime's review service."""
    return runtime.review


def render_review_page(runtime: Runtime, token: str) -> None:
    """Open the link (audited once per session), then present or review."""
    view = _open(runtime, token)
    if view is None:
        return
    ttl = max(
        1, min(runtime.settings.MEDIA_URL_TTL_SECONDS, int((view.expires_at - runtime.service.clock()).total_seconds()))
    )
    if st.query_params.get(PRESENT_PARAM):
        deck = [
            Slide(
                f"Frame {f.position} of {len(view.frames)} · {f.scene}", image_src=media_src(runtime, f.image_key, ttl=ttl)
            )
            for f in view.frames
        ]
        if view.video_key:
            deck.append(Slide("The video", video_src=media_src(runtime, view.video_key, ttl=ttl)))
        render_presentation(deck, key=f"present-{view.link_id}", title=view.title, on_exit=_stop_presenting)
        return
    st.title(view.title)
    st.caption(view.brief)
    st.button("Present", icon=":material/slideshow:", on_click=_start_presenting)
    reviewing = view.permission is ReviewPermission.REVIEW and _reviewer_name(view)
    if view.frames:
        _frames(runtime, token, view, ttl, reviewing=bool(reviewing))
    if view.video_key:
        _video(runtime, token, view, ttl, reviewing=bool(reviewing))
    if not view.frames and not view.video_key:
        st.info("Nothing to review yet: the storyboard and video are still being made.")


def _start_presenting() -> None:
    st.query_params[PRESENT_PARAM] = "1"


def _stop_presenting() -> None:
    st.query_params.pop(PRESENT_PARAM, None)


def _open(runtime: Runtime, token: str) -> ReviewView | None:
    ip = browser_ip(runtime)
    seen = st.session_state.setdefault("review_seen", [])
    try:
        view = review_service(runtime).open(token=token, ip=ip, passcode=st.session_state.get(PASSCODE_KEY), audited=False)
        if view.link_id not in seen:  # one audited view per session, not one per rerun
            review_service(runtime).open(token=token, ip=ip, passcode=st.session_state.get(PASSCODE_KEY))
            seen.append(view.link_id)
        return view
    except PasscodeRequiredError as exc:
        _passcode_form(exc.message if st.session_state.get(PASSCODE_KEY) else None)
    except (LinkGoneError, NotFoundError, RateLimitedError) as exc:
        st.title("Review")
        st.error(exc.message, icon="🔒")
    return None


def _passcode_form(problem: str | None) -> None:
    st.title("Review")
    with st.form("passcode"):
        st.write("This review link is protected by a passcode.")
        code = st.text_input("Passcode", type="password")
        if st.form_submit_button("Open", type="primary"):
            st.session_state[PASSCODE_KEY] = code
            st.rerun()
    if problem:
        st.error(problem)


def _reviewer_name(view: ReviewView) -> str | None:
    """The reviewer's name, asked once per session."""
    name = st.session_state.get(NAME_KEY)
    if name:
        st.caption(f"Reviewing as **{name}**")
        return name
    with st.form("reviewer"):
        typed = st.text_input("Your name", max_chars=80, help="Shown to the owner next to your decisions and comments.")
        if st.form_submit_button("Start reviewing", type="primary") and typed.strip():
            st.session_state[NAME_KEY] = typed.strip()
            st.rerun()
    return None


def _frames(runtime: Runtime, token: str, view: ReviewView, ttl: int, *, reviewing: bool) -> None:
    st.subheader("Storyboard")
    columns = st.columns(COLUMNS)
    for index, frame in enumerate(view.frames):
        with columns[index % COLUMNS], st.container(border=True):
            st.image(media_src(runtime, frame.image_key, ttl=ttl), caption=f"Frame {frame.position} · {frame.scene}")
            mine = [c for c in view.comments if c.frame_number == frame.frame_number]
            for comment in mine:
                _comment_line(comment)
            if reviewing:
                _frame_decision(runtime, token, frame)


def _frame_decision(runtime: Runtime, token: str, frame: ReviewFrame) -> None:
    note_key = f"changes-{frame.frame_number}"
    st.text_area(f"What should change in frame {frame.position}?", key=note_key, height=80)
    approve, changes = st.columns(2)
    if approve.button("Approve", key=f"approve-{frame.frame_number}", type="primary"):
        _send(runtime, token, frame_number=frame.frame_number, decision=Decision.APPROVE)
    if changes.button("Request changes", key=f"request-{frame.frame_number}"):
        _send(
            runtime, token, frame_number=frame.frame_number, decision=Decision.CHANGES, body=st.session_state.get(note_key)
        )


def _video(runtime: Runtime, token: str, view: ReviewView, ttl: int, *, reviewing: bool) -> None:
    st.subheader("Video")
    assert view.video_key is not None
    st.video(media_src(runtime, view.video_key, ttl=ttl), format="video/mp4")
    for comment in (c for c in view.comments if c.frame_number is None):
        _comment_line(comment)
    if not reviewing:
        return
    with st.form("video-comment", clear_on_submit=True):
        body = st.text_area("Comment on the video")
        timed = st.checkbox("At a moment in the video")
        second = st.number_input("At second", min_value=0.0, max_value=float(view.video_seconds or 0), step=0.5)
        if st.form_submit_button("Send comment"):
            _send(
                runtime, token, frame_number=None, decision=Decision.COMMENT, body=body, at_seconds=second if timed else None
            )


def _send(runtime: Runtime, token: str, **comment: object) -> None:
    try:
        review_service(runtime).add_comment(
            token=token,
            ip=browser_ip(runtime),
            passcode=st.session_state.get(PASSCODE_KEY),
            reviewer_name=st.session_state.get(NAME_KEY, ""),
            **comment,  # type: ignore[arg-type]
        )
    except StudioError as exc:
        show_error(exc)
        return
    st.toast("Sent to the owner. Thank you!")
    st.rerun()


def _comment_line(comment: ReviewComment) -> None:
    at = f" at {comment.at_seconds:g} s" if comment.at_seconds is not None else ""
    text = f" — {comment.body}" if comment.body else ""
    st.caption(f"**{comment.reviewer_name}** · {DECISION_LABELS[comment.decision]}{at}{text}")
