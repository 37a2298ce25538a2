"""Merchant loyalty's pages, a module each: how members earn and its settings for the team
(earning rules, campaigns), and the shop's store connections."""
