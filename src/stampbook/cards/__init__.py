"""Members' card codes (issue 19): the code a member shows at the counter, its rotation, and
what the team learns by scanning it."""
