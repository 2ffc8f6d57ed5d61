"""What tests share: the desk launcher (stack), a citizen chatting (chat), console agents
(agents)."""
