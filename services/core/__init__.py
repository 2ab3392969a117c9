"""Cross-cutting basics every package may use. Imports nothing else of the project.

Public surface: `clock.utc_now`, `errors` (the typed `StudioError` family), `settings.Settings` / `load_settings`,
`validation` (text cleaning and range checks), `kept_secrets.kept_secret`, `log_setup` (JSON or text logs with
bound context), `metrics` (the Prometheus series), `tls.shared_tls_context` (one CA bundle load for every HTTPS
client), `job_scope` (what provider code asks of the running job: prediction intents, progress, cancel, timings).
"""
