"""Video Workflow Studio services layer: domain, use cases, persistence and providers."""
