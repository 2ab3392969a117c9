"""The workflow domain and its storage. May import `core`, `storage`, `providers` (the facade over this and the
jobs is `services.studio`).

Pure domain (no pymongo, httpx or streamlit): `domain` (models and enums), `state_machine`, `rules`,
`frame_planning`, `costs`. Around it: `writer.WorkflowWriter` (get, versioned update, fail, notify),
`refinement.PromptRefinement`, `options.StepOptions` and `adoption.Adoptions`; `repository.MongoWorkflowRepository`,
`campaigns.CampaignService`, `prompt_cache`, `usage` (limits charged only for work that starts), and the start-up
repair of frame versions in `version_repair`.
"""
