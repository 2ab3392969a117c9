"""The spec's usage examples drive one workflow to COMPLETED over real HTTP."""

from __future__ import annotations

import io

import av
from PIL import Image

from tests.support import spec_examples as spec
from tests.support.api_fixtures import ApiServer


def test_the_spec_examples_take_a_workflow_from_brief_to_a_downloadable_video(api_server: ApiServer):
    _, client = api_server.user_client()
    created = client.post("/video-workflows", json=spec.CREATE_WORKFLOW)
    assert created.status_code == 201, created.text
    workflow = created.json()
    assert (workflow["currentStep"], workflow["status"]) == ("INITIAL_PROMPT", "IN_PROGRESS")
    assert workflow["metadata"]["targetAudience"] == "Young adults 18-35"
    base = f"/video-workflows/{workflow['id']}"

    assert client.post(f"{base}/refine-prompt", json={}).status_code == 200
    refined = client.post(f"{base}/refine-prompt", json=spec.REFINE_PROMPT).json()
    assert [i["iteration"] for i in refined["refinementIterations"]] == [1, 2]
    assert refined["refinementIterations"][1]["additionalInfo"] == spec.REFINE_PROMPT["additionalInfo"]
    assert refined["metadata"]["targetAudience"] == "Young adults 18-35", "nested fields are camelCase too"
    assert "water sports" in refined["finalRefinedPrompt"]
    first_round, second_round = refined["refinementIterations"]
    assert first_round["userPrompt"] == spec.CREATE_WORKFLOW["initialPrompt"], "the spec's field names are there too"
    assert second_round["userPrompt"] == spec.REFINE_PROMPT["additionalInfo"]
    assert second_round["refinementModel"] == "gpt-4o" and second_round["timestamp"] == second_round["createdAt"]

    framed = client.post(f"{base}/generate-frames", json=spec.GENERATE_FRAMES).json()
    assert framed["currentStep"] == "FRAME_REVIEW"
    first_images = {
        f["frameNumber"]: client.get(f["imageUrl"].removeprefix("/api")).content for f in framed["generatedFrames"]
    }
    assert all(Image.open(io.BytesIO(png)).format == "PNG" for png in first_images.values())

    assert client.post(f"{base}/review-frames", json=spec.REVIEW_FRAMES).status_code == 200
    regenerated = client.post(f"{base}/regenerate-frames", json=spec.REGENERATE_FRAMES).json()
    assert [f["frameNumber"] for f in regenerated["generatedFrames"]] == [0, 1, 2], "frames are numbered from 0"
    assert [f["version"] for f in regenerated["generatedFrames"]] == [1, 2, 1], "only frame 1, the rejected one"
    assert "more vibrant" in regenerated["generatedFrames"][1]["prompt"]
    assert all(f["timestamp"] == f["generatedAt"] for f in regenerated["generatedFrames"])
    approved = client.post(f"{base}/review-frames", json=spec.APPROVE_FRAME_ONE).json()
    assert approved["framesApproved"] is True

    done = client.post(f"{base}/generate-video", json=spec.GENERATE_VIDEO, timeout=600)  # renders inside the request
    assert done.status_code == 200, done.text
    finished = done.json()
    assert (finished["currentStep"], finished["status"]) == ("COMPLETED", "COMPLETED")
    video = client.get(finished["videoOutput"]["videoUrl"].removeprefix("/api"))
    assert video.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(video.content)) as container:
        decoded = sum(1 for _ in container.decode(container.streams.video[0]))
    assert decoded == finished["videoOutput"]["frameCount"] == 30 * 30
    assert finished["videoOutput"]["finalPrompt"] == finished["finalRefinedPrompt"]
    assert finished["videoOutput"]["timestamp"] == finished["videoOutput"]["generatedAt"]

    assert client.get(base).json()["status"] == "COMPLETED"
    listed = client.get("/video-workflows").json()
    assert [w["id"] for w in listed["items"]] == [workflow["id"]] and listed["total"] == 1


def test_responses_never_show_internal_fields(api_server: ApiServer):
    _, client = api_server.user_client()
    body = client.post("/video-workflows", json=spec.CREATE_WORKFLOW).json()
    assert not {"frameSeed", "version", "deletedAt", "_id"} & set(body)


def test_the_list_filters_by_campaign_and_pages(api_server: ApiServer):
    _, client = api_server.user_client()
    for number in range(3):
        client.post("/video-workflows", json={**spec.CREATE_WORKFLOW, "title": f"Spot {number}", "campaignId": "summer"})
    client.post("/video-workflows", json={**spec.CREATE_WORKFLOW, "campaignId": "winter"})
    page = client.get("/video-workflows", params={"campaignId": "summer", "pageSize": 2, "page": 2}).json()
    assert (page["total"], page["page"], page["pageSize"], len(page["items"])) == (3, 2, 2, 1)


def test_a_soft_deleted_workflow_is_gone_from_reads_and_a_hard_delete_removes_the_document(api_server: ApiServer):
    _, client = api_server.user_client()
    soft = client.post("/video-workflows", json=spec.CREATE_WORKFLOW).json()["id"]
    hard = client.post("/video-workflows", json=spec.CREATE_WORKFLOW).json()["id"]
    assert client.delete(f"/video-workflows/{soft}").status_code == 204
    assert client.delete(f"/video-workflows/{hard}", params={"hard": "true"}).status_code == 204
    assert client.get(f"/video-workflows/{soft}").json()["code"] == "not_found"
    collection = api_server.runtime.db["video_workflows"]
    assert collection.find_one({"_id": soft})["deletedAt"] is not None
    assert collection.find_one({"_id": hard}) is None
