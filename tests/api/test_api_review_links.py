"""Review links over HTTP: owner endpoints, the public view and comments, expiry and revocation, abuse limits."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import httpx

from services.core.clock import utc_now
from services.review.credentials import hash_token
from services.webhooks.signing import verify
from tests.integration.test_outgoing_webhooks import outgoing, receiver  # noqa: F401 - the receiver fixture
from tests.support.api_fixtures import ApiServer, workflow_at


def public(server: ApiServer, token: str, **headers: str) -> httpx.Client:
    return server.client(**{"X-Review-Token": token, **headers})


def shared_workflow(server: ApiServer, **link: object) -> tuple[httpx.Client, str, dict]:
    """A user's workflow with approved frames, and a new review link to it."""
    _, owner = server.user_client()
    workflow_id = workflow_at(owner, "approved")
    created = owner.post(f"/video-workflows/{workflow_id}/review-links", json=link)
    assert created.status_code == 201, created.text
    return owner, workflow_id, created.json()


def test_the_owner_creates_lists_and_revokes_links_and_tokens_are_stored_only_as_hashes(api_server: ApiServer):
    owner, workflow_id, link = shared_workflow(api_server, scope="storyboard", expiresInDays=3, passcode="tulips")
    assert link["url"].endswith(f"/?review={link['token']}") and link["url"].startswith("http://127.0.0.1:")
    assert (link["scope"], link["permission"], link["hasPasscode"], link["status"]) == (
        "storyboard",
        "review",
        True,
        "active",
    )
    assert len(link["token"]) >= 40  # vwsr_ + 256 random bits
    stored = list(api_server.runtime.db["review_links"].find())
    assert link["token"] not in json.dumps(stored, default=str) and "tulips" not in json.dumps(stored, default=str)
    assert stored[0]["tokenHash"] == hash_token(link["token"])

    listed = owner.get(f"/video-workflows/{workflow_id}/review-links").json()["items"]
    assert [item["id"] for item in listed] == [link["id"]] and "token" not in listed[0]
    assert owner.delete(f"/video-workflows/{workflow_id}/review-links/{link['id']}").status_code == 204
    assert owner.get(f"/video-workflows/{workflow_id}/review-links").json()["items"][0]["status"] == "revoked"
    _, stranger = api_server.user_client()
    assert stranger.get(f"/video-workflows/{workflow_id}/review-links").status_code == 403
    assert stranger.post(f"/video-workflows/{workflow_id}/review-links", json={}).status_code == 403


def test_a_link_holder_sees_the_workflow_without_an_account_and_without_the_owner_or_costs(api_server: ApiServer):
    owner, workflow_id, link = shared_workflow(api_server)
    workflow = owner.get(f"/video-workflows/{workflow_id}").json()

    response = public(api_server, link["token"]).get("/review")

    assert response.status_code == 200, response.text
    view = response.json()
    assert view["title"] == workflow["title"] and view["brief"] and view["permission"] == "review"
    assert [(f["frameNumber"], f["position"], f["scene"]) for f in view["frames"]] == [
        (f["frameNumber"], i + 1, f["scene"]) for i, f in enumerate(workflow["generatedFrames"])
    ]
    text = response.text
    for private in ("userId", "totalCostUsd", "costUsd", workflow["userId"], "email", "ownerId"):
        assert private not in text
    image = httpx.get(api_server.base_url.removesuffix("/api") + view["frames"][0]["imageUrl"])  # no credentials at all
    assert image.status_code == 200 and image.content[:4] == b"\x89PNG"
    audit = list(api_server.runtime.db["audit_log"].find({"event": "review.viewed"}))
    assert len(audit) == 1 and audit[0]["linkId"] == link["id"]


def test_reviewers_approve_or_request_changes_per_frame_and_the_owner_gets_the_comments_and_a_webhook(
    make_api_server,
    db,
    receiver,  # noqa: F811 - the fixture
):
    callbacks = outgoing(db, allow_private=True)
    api_server: ApiServer = make_api_server(callbacks=callbacks)
    owner, workflow_id, link = shared_workflow(api_server)
    owner_id = owner.get(f"/video-workflows/{workflow_id}").json()["userId"]
    _, secret = callbacks.register(user_id=owner_id, url=receiver.url)
    frame = owner.get(f"/video-workflows/{workflow_id}").json()["generatedFrames"][0]["frameNumber"]
    guest = public(api_server, link["token"])

    bare = guest.post("/review/comments", json={"reviewerName": "Dana", "frameNumber": frame, "decision": "changes"})
    assert bare.status_code == 422 and "what should change" in bare.json()["detail"]
    changes = guest.post(
        "/review/comments",
        json={"reviewerName": "Dana", "frameNumber": frame, "decision": "changes", "comment": "Warmer light, please"},
    )
    assert changes.status_code == 201, changes.text
    assert (
        guest.post("/review/comments", json={"reviewerName": "Lee", "frameNumber": frame, "decision": "approve"}).status_code
        == 201
    )

    comments = owner.get(f"/video-workflows/{workflow_id}/review-comments").json()["items"]
    assert [(c["reviewerName"], c["frameNumber"], c["decision"], c["comment"]) for c in comments] == [
        ("Dana", frame, "changes", "Warmer light, please"),
        ("Lee", frame, "approve", ""),
    ]
    assert owner.get(f"/video-workflows/{workflow_id}").json()["generatedFrames"][0]["approved"]  # advisory only
    assert callbacks.deliver_due() == 2
    headers, body = receiver.received[0]
    event = json.loads(verify(secret=secret, headers=headers, body=body, now=time.time()).body)
    assert event["type"] == "review.comment_added" and event["data"]["reviewerName"] == "Dana"
    assert api_server.runtime.db["audit_log"].count_documents({"event": "review.comment_added"}) == 2


def test_view_only_links_passcodes_revocation_and_expiry_are_enforced(api_server: ApiServer):
    owner, workflow_id, link = shared_workflow(api_server, permission="view", passcode="tulips")
    frame = owner.get(f"/video-workflows/{workflow_id}").json()["generatedFrames"][0]["frameNumber"]
    assert public(api_server, link["token"]).get("/review").status_code == 403
    assert public(api_server, link["token"], **{"X-Review-Passcode": "roses"}).get("/review").status_code == 403
    guest = public(api_server, link["token"], **{"X-Review-Passcode": "tulips"})
    assert guest.get("/review").status_code == 200
    refused = guest.post("/review/comments", json={"reviewerName": "Dana", "frameNumber": frame, "decision": "approve"})
    assert refused.status_code == 403 and "view-only" in refused.json()["detail"]

    owner.delete(f"/video-workflows/{workflow_id}/review-links/{link['id']}")
    revoked = guest.get("/review")
    assert revoked.status_code == 410 and "This link was revoked" in revoked.json()["detail"]

    _, _, second = shared_workflow(api_server)
    api_server.runtime.db["review_links"].update_one(
        {"_id": second["id"]}, {"$set": {"expiresAt": utc_now() - timedelta(seconds=1)}}
    )
    expired = public(api_server, second["token"]).get("/review")
    assert expired.status_code == 410 and "This link has expired" in expired.json()["detail"]


def test_the_31st_wrong_token_in_a_minute_from_one_ip_gets_429(api_server: ApiServer):
    _, _, link = shared_workflow(api_server)
    answers = [public(api_server, f"vwsr_guess{n}").get("/review").status_code for n in range(31)]
    assert answers == [404] * 30 + [429]
    throttled = public(api_server, link["token"]).get("/review")  # now even a real token waits: guessing stops
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    assert api_server.runtime.db["audit_log"].count_documents({"event": "review.token_rejected"}) == 30


def test_a_link_to_one_workflow_gets_nothing_of_another(api_server: ApiServer):
    owner, workflow_a, link = shared_workflow(api_server)
    workflow_b = workflow_at(owner, "approved")
    frame_b = owner.get(f"/video-workflows/{workflow_b}").json()["generatedFrames"][0]
    guest = public(api_server, link["token"])

    view = guest.get("/review", params={"workflowId": workflow_b}).json()
    assert frame_b["imageUrl"].split("/")[-1] not in json.dumps(view)
    signed_a = view["frames"][0]["imageUrl"]
    key_b = frame_b["imageUrl"].removeprefix("/api/media/")
    forged = signed_a.split("/workflows/")[0] + "/" + key_b + "?" + signed_a.split("?")[1]
    assert httpx.get(api_server.base_url.removesuffix("/api") + forged).status_code in (403, 404)
    assert guest.get(f"/media/{key_b}").status_code == 401  # the token is no credential for the owner's media route
    assert guest.get(f"/video-workflows/{workflow_b}").status_code == 401
    comment = guest.post(
        "/review/comments",
        json={"reviewerName": "Dana", "frameNumber": frame_b["frameNumber"] + 5, "decision": "approve"},
    )
    assert comment.status_code == 404
    assert owner.get(f"/video-workflows/{workflow_b}/review-comments").json()["items"] == []
