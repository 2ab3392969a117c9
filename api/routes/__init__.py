"""One router module per resource; api.main includes them all."""
