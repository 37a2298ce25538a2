"""A person's pages: their page, buddies, messages, posts and settings."""
