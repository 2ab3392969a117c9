"""Stakeholder review links: people without an account view a workflow's storyboard and video, and approve or comment.

Public surface:
- `service.ReviewService`: owners `create_link` (scope storyboard / video / both, expiry, optional passcode,
  view or view-and-review; the token is returned once), `list_links`, `revoke_link`, `comments_for_owner`;
  link holders `open` (the public `ReviewView`) and `add_comment` (per-frame decision, or a video comment
  at an optional timestamp). Every view and comment is audited; each comment emits `review.comment_added`.
- `credentials`: random tokens (256 bits, stored only as SHA-256) and scrypt passcodes checked at a fixed cost.
- `guard.TokenGuard`: wrong tokens and passcodes per client IP (REVIEW_TOKEN_FAILURES_PER_IP, 30 a minute).
- `repository.ensure_review_indexes`.
"""
