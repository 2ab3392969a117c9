"""The list's sort key and summary projection: how a user's workflows are listed, newest activity first.

The list is served by one single-field index on `listKey`, a string whose byte order IS the list's order:
owner (and campaign), then lastActivity descending, then _id descending. A compound index on
(userId, deletedAt, lastActivity, _id) would serve the same order on MongoDB, but SecantusDB's planner only
walks an index in sort order when the sort's one field is the index's leading field, and otherwise
fetches every one of the user's workflows and sorts them in memory. A range on `listKey` sorted by
`listKey` is walked in order by both. Soft-deleted workflows carry no key, so they drop out of the list
and its index.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

LIST_KEY = "listKey"
CAMPAIGN_LIST_KEY = "campaignListKey"  # the same order within one campaign of one user
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_LATEST_MS = 10**13 - 1  # 13 digits reach the year 2286
# Printable ASCII reversed ('!' <-> '~', '0' <-> 'O', ...): ids of one length then sort newest (highest) first.
_REVERSED = str.maketrans({chr(code): chr(158 - code) for code in range(32, 127)})

# The fields a list row shows: no refinement history, prompts, frames or errors.
SUMMARY_PROJECTION = {
    "_id": 1,
    "userId": 1,
    "campaignId": 1,
    "title": 1,
    "currentStep": 1,
    "status": 1,
    "plannedFrameCount": 1,
    "framesApproved": 1,
    "activeJobId": 1,
    "totalCostUsd": 1,
    "videoOutput.videoKey": 1,
    "createdAt": 1,
    "lastActivity": 1,
}


def _segment(text: str) -> str:
    # Length-prefixed, so no user or campaign id (whatever it contains) is a prefix of another's range.
    return f"{len(text):03d}:{text}"


def owner_prefix(user_id: str, campaign_id: str | None = None) -> str:
    """Every live workflow of this user (in this campaign) has a key starting with this."""
    campaign = "" if campaign_id is None else _segment(campaign_id)
    return f"{_segment(user_id)}{campaign}|"


def key_range(user_id: str, campaign_id: str | None = None) -> tuple[str, dict[str, dict[str, str]]]:
    """The field to range over and the filter selecting the user's live workflows (in one campaign)."""
    prefix = owner_prefix(user_id, campaign_id)
    field = LIST_KEY if campaign_id is None else CAMPAIGN_LIST_KEY
    return field, {field: {"$gte": prefix, "$lt": prefix[:-1] + "}"}}  # '}' follows '|'


def _order_suffix(last_activity: datetime, workflow_id: str) -> str:
    moment = last_activity if last_activity.tzinfo else last_activity.replace(tzinfo=UTC)
    milliseconds = (moment - _EPOCH) // _MS  # MongoDB stores milliseconds; finer digits would not survive a reload
    return f"{_LATEST_MS - milliseconds:013d}|{workflow_id.translate(_REVERSED)}"


def list_keys(document: dict) -> dict[str, str | None]:
    """The two sort keys of a stored workflow document (None when it is soft-deleted or has no campaign)."""
    if document.get("deletedAt") is not None:
        return {LIST_KEY: None, CAMPAIGN_LIST_KEY: None}
    suffix = _order_suffix(document["lastActivity"], document["_id"])
    campaign = document.get("campaignId")
    return {
        LIST_KEY: owner_prefix(document["userId"]) + suffix,
        CAMPAIGN_LIST_KEY: None if campaign is None else owner_prefix(document["userId"], campaign) + suffix,
    }


def window_bound(user_id: str, campaign_id: str | None, now: datetime, days: float) -> str:
    """The key below which lie exactly the live workflows (of the range) active in the last `days` days or later."""
    since = now - timedelta(days=days)
    moment = since if since.tzinfo else since.replace(tzinfo=UTC)
    inverted = _LATEST_MS - (moment - _EPOCH) // _MS
    return f"{owner_prefix(user_id, campaign_id)}{inverted + 1:013d}"
