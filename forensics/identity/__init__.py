"""Identity resolution: which forms name the same person, and so who is the owner."""
