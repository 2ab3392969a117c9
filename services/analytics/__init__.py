"""The Analytics page's figures. May import `core` and `accounts`.

Public surface: `service.AnalyticsService`, `pipelines` (the MongoDB aggregations), `report` (the figures' shapes).
"""
