"""The schema contract: what the service accepts and returns, and what training data must hold.

``features.py`` is the team's own contract (replace the demo fields with yours);
``api.py`` wraps it into the request and response models of the HTTP API.
"""
