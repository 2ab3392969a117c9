"""The product's use cases. May import `core`, `storage`, `jobs`, `providers`.

Pure domain (no pymongo, httpx or streamlit): `domain` (models and enums), `state_machine`, `rules`,
`frame_planning`, `costs`. Around it: `service.VideoWorkflowService` (the facade, one method per use case) over
`writer.WorkflowWriter` (get, versioned update, fail, notify), `refinement.PromptRefinement`,
`step_starts.StepStarts`, `options.StepOptions` and `adoption.Adoptions`; `repository.MongoWorkflowRepository`,
`campaigns.CampaignService`, `prompt_cache`, `usage` (limits charged only for work that starts); start-up
repairs of stored documents in `migrations` and `version_repair`.
"""
