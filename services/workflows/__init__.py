"""The product's use cases. May import `core`, `storage`, `jobs`, `providers`.

Pure domain (no pymongo, httpx or streamlit): `domain` (models and enums), `state_machine`, `rules`,
`frame_planning`, `costs`. Around it: `service.VideoWorkflowService` (one method per use case),
`repository.MongoWorkflowRepository`, `campaigns.CampaignService`, `prompt_cache`, `options` (what each step offers).
"""
