"""Real HTTP servers on localhost that speak an upstream's protocol and misbehave on command."""
