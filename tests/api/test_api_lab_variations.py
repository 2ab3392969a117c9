"""Prompt Lab frames A/B and video variations over HTTP, on the offline providers."""

from __future__ import annotations

from tests.support.api_fixtures import ApiServer, workflow_at


def test_frames_ab_renders_one_frame_on_both_models_and_adoption_records_the_version_history(api_server: ApiServer):
    _, client = api_server.user_client()
    workflow_id = workflow_at(client, "framed")
    frame = client.get(f"/video-workflows/{workflow_id}").json()["generatedFrames"][0]

    response = client.post(
        "/prompt-lab/frame-comparisons", json={"workflowId": workflow_id, "frameNumber": frame["frameNumber"]}
    )

    assert response.status_code == 201, response.text
    comparison = response.json()
    candidates = {c["model"]: c for c in comparison["candidates"]}
    assert set(candidates) == {"stable-diffusion-xl", "flux-1.1-pro"}
    assert len({c["seed"] for c in candidates.values()}) == 1  # the same seed on both
    images = [client.get(c["imageUrl"].removeprefix("/api")).content for c in candidates.values()]
    assert images[0][:8] == b"\x89PNG\r\n\x1a\n" and images[0] != images[1]  # two real, different PNGs

    adopted = client.post(f"/prompt-lab/frame-comparisons/{comparison['id']}/adopt", json={"model": "flux-1.1-pro"})

    assert adopted.status_code == 200, adopted.text
    now = adopted.json()["generatedFrames"][0]
    assert (now["version"], now["model"], now["labComparisonId"], now["approved"]) == (
        2,
        "flux-1.1-pro",
        comparison["id"],
        False,
    )
    assert now["imageUrl"] == candidates["flux-1.1-pro"]["imageUrl"]
    assert [(v["version"], v["model"], v["imageUrl"]) for v in now["history"]] == [(1, frame["model"], frame["imageUrl"])]
    assert client.get(f"/prompt-lab/frame-comparisons/{comparison['id']}").json()["adoptedModel"] == "flux-1.1-pro"


def test_two_video_variations_one_picked_the_other_kept_and_a_third_over_the_hourly_limit_refused(api_server: ApiServer):
    _, client = api_server.user_client()
    workflow_id = workflow_at(client, "approved")
    body = {"workflowId": workflow_id, "variations": [{"seed": 11}, {"seed": 12, "fps": 12}]}

    response = client.post("/prompt-lab/video-variations", json=body)

    assert response.status_code == 200, response.text  # inline jobs in tests: finished when it answers
    variation_set = response.json()
    first, second = variation_set["variations"]
    assert (first["status"], second["status"]) == ("SUCCEEDED", "SUCCEEDED")
    assert (first["fps"], second["fps"], first["seed"], second["seed"]) == (24, 12, 11, 12)
    assert first["videoUrl"] != second["videoUrl"] and first["costUsd"] == 0.0 and first["provider"] == "offline"

    picked = client.post(f"/prompt-lab/video-variations/{variation_set['id']}/pick", json={"index": 1})

    assert picked.status_code == 200, picked.text
    workflow = picked.json()
    assert workflow["videoOutput"]["videoUrl"] == second["videoUrl"] and workflow["videoOutput"]["fps"] == 12
    assert workflow["videoOutput"]["variationSetId"] == variation_set["id"] and workflow["currentStep"] == "COMPLETED"
    kept = client.get(f"/prompt-lab/video-variations/{variation_set['id']}").json()
    assert kept["pickedIndex"] == 1 and [v["videoUrl"] for v in kept["variations"]] == [
        first["videoUrl"],
        second["videoUrl"],
    ]
    other = client.get(first["videoUrl"].removeprefix("/api"))
    assert other.status_code == 200 and other.headers["content-type"] == "video/mp4" and len(other.content) > 1000

    db = api_server.runtime.db
    jobs_before, sets_before = db["jobs"].count_documents({}), db["lab_video_variations"].count_documents({})
    third = client.post("/prompt-lab/video-variations", json={"workflowId": workflow_id, "variations": [{"seed": 13}]})

    assert third.status_code == 429 and third.json()["operation"] == "video", third.text
    assert int(third.headers["Retry-After"]) > 0
    assert (db["jobs"].count_documents({}), db["lab_video_variations"].count_documents({})) == (jobs_before, sets_before)


def test_variations_need_approved_frames_and_must_differ(api_server: ApiServer):
    _, client = api_server.user_client()
    framed = workflow_at(client, "framed")
    refused = client.post("/prompt-lab/video-variations", json={"workflowId": framed, "variations": [{"seed": 1}]})
    assert refused.status_code == 422 and "Approve every frame" in refused.json()["detail"]
