"""The wallets' API: a shop's wallet settings and a member's pass (``settings``, ``passes``),
and Apple's pass web service (``devices``), each module with its blueprint."""
