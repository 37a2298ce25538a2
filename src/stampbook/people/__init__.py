"""People: buddies, blocks, private messages, posts and reviews, and the user page."""
