"""The request bodies of the spec's (the seed's) usage examples, exactly as written there: frames from 0."""

CREATE_WORKFLOW = {
    "title": "Summer Campaign Video",
    "initialPrompt": "A vibrant summer beach scene with people enjoying activities",
    "campaignId": "campaign_123",
    "metadata": {
        "targetAudience": "Young adults 18-35",
        "tone": "Energetic and fun",
        "duration": 30,
        "style": "Modern, vibrant colors",
        "aspectRatio": "16:9",
    },
}
REFINE_PROMPT = {"additionalInfo": "Add more focus on water sports and sunset timing", "model": "gpt-4o"}
GENERATE_FRAMES = {"frameCount": 3, "model": "stable-diffusion-xl"}
REVIEW_FRAMES = {
    "frameReviews": [
        {"frameNumber": 0, "approved": True},
        {"frameNumber": 1, "approved": False, "feedback": "Make the colors more vibrant"},
        {"frameNumber": 2, "approved": True},
    ]
}
REGENERATE_FRAMES = {"frameNumbers": [1]}  # only regenerate frame 1: the one the review rejected
APPROVE_FRAME_ONE = {"frameReviews": [{"frameNumber": 1, "approved": True}]}
GENERATE_VIDEO = {"model": "veo-3", "duration": 30, "fps": 30}
