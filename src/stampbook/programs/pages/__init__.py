"""A program's pages: the program itself, and the team's management of its members."""
