"""A shop's API keys: secrets a store's server sends as its bearer token to call stampbook,
made by the shop's creator or a manager, scoped, and confined to their shop."""
