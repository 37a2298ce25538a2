"""`stampbook bench`: a repeatable load benchmark on PostgreSQL (see BENCHMARKS.md)."""
