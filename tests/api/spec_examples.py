"""The request bodies of the spec's usage examples, exactly as written there."""

CREATE_WORKFLOW = {
    "title": "Summer Campaign Video",
    "initialPrompt": "A vibrant summer beach scene with people enjoying activities",
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
        {"frameNumber": 1, "approved": True},
        {"frameNumber": 2, "approved": False, "feedback": "Make the colors more vibrant"},
        {"frameNumber": 3, "approved": True},
    ]
}
REGENERATE_FRAMES = {"frameNumbers": [2]}
APPROVE_FRAME_TWO = {"frameReviews": [{"frameNumber": 2, "approved": True}]}
GENERATE_VIDEO = {"model": "veo-3", "duration": 30, "fps": 24}
