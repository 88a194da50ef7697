"""The web layer: routes, request bodies, schemas, auth, errors, OpenAPI and telemetry on Flask."""
