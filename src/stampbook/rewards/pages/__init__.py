"""A reward's pages (the reward, redeeming, gifts, group pots, its form and history), and
receipts."""
