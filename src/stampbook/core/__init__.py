"""What every domain uses: the database and unit of work, errors, routing and the policy
registry, idempotency, pagination, shared schema types, the clock, zones, i18n, OpenAPI, jobs."""
