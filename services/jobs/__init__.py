"""Durable generation jobs. May import `core`, `storage`, `providers` and the pure `workflows` domain.

Public surface: `store.JobStore` (job records, leases), `runner.JobRunner` (heartbeat), `context` (progress and
cancel checks inside a job), `dispatch` (in-process pool, reconciler), `queue.RedisJobQueue` (scale-out),
`control` and `generation` (what each job step does), `worker.serve` (the scale-out loop).
"""
