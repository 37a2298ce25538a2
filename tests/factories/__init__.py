"""Test data builders, one module per domain, mirroring ``src/stampbook``."""
