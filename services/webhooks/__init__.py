"""Webhooks both ways. May import `core`, `storage`, `jobs`, `providers`.

Public surface: `inbox.WebhookInbox` (Replicate callbacks, deduplicated), `capture.PredictionOutputCapture`,
`signing` (Standard Webhooks signatures), `outgoing.OutgoingWebhooks` (users' callback URLs, retried).
"""
