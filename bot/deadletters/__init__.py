"""Dead letters: stored events the worker gave up on, listed for admins to retry."""
