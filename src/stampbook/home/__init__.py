"""A person's home page: their programs, favourite rewards and recent activity."""
