"""Development-only parts: the LINE Messaging API stand-in (LINE's servers cannot be
reached here) and the simulator that chats through it. Production never serves them:
the gateway mounts the simulator only outside production (bot.main), and the stand-in
runs only under `make run` and the tests (bot.devstack)."""
