"""How predictions are made: one adapter protocol and the adapter this service uses."""
