"""The shop's pages: its own page and form, and its team."""
