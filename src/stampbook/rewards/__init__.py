"""Rewards: what members spend points on, their receipts (redemptions) and group pots."""
