"""Notifications' pages: the centre and my preferences (``centre``), a shop's templates
(``shop_templates``), the one-click unsubscribe (``unsubscribe``)."""
