"""Who may do what. May import `core`.

Public surface: `users.UserService`, `admins.AdminRoles`, `access_tokens.AccessTokens` (JWT),
`refresh_tokens.RefreshTokens`, `api_keys.ApiKeys`, `audit.AuditLog`, `rate_limits.RateLimits`,
`idempotency.IdempotencyStore`, `api_services.ApiServices` (the REST API's bundle of them).
"""
