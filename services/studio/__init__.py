"""The studio's use cases: the facade over the workflow domain and the generation jobs. May import every package
below it (`core`, `storage`, `providers`, `workflows`, `jobs`); `bootstrap` and the features (`lab`, `review`,
`analytics`, `examples`) import it, pages and routes reach it through the runtime.

Public surface: `service.VideoWorkflowService` (one method per use case; it builds the job collaborators),
`step_starts.StepStarts` (checks, charges and records a step's job before it runs), and `migrations` (start-up
repairs of stored workflows and their frame jobs).
"""
