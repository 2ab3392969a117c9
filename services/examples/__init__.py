"""Bundled example workflows for a new user's empty studio and for demos. May import `core` and `workflows`.

Public surface: `seeder.ExampleSeeder` (`create(user_id, kind)`), `seeder.EXAMPLE_KINDS`. The examples run through
the same service use cases as any workflow, on the offline models, so they cost nothing and use no quota.
"""
