"""Durable generation jobs. May import `core`, `storage`, `providers`, and from `workflows` the domain and the writer.

Public surface: `store.JobStore` and `records` (job records, leases), `runner.JobRunner` (heartbeat), `context`
(progress and cancel checks inside a job) with `eta.RateEstimate` (its ETA), `control.JobControl` (start, progress,
follow, cancel) and `control.JobRecovery` (take over lapsed jobs), `generation.GenerationSteps` with
`frame_jobs.FrameJobs` and `video_job.VideoJob` (what each job kind does), `dispatch` (in-process pool, reconciler,
`JobHandlers`), `queue.RedisJobQueue` (scale-out), `queue_metrics.JobQueueCollector` (the queue gauges),
`worker.serve` (the scale-out loop).
"""
