"""The ``mailbox-audit`` command line: one module per subcommand, listed in ``main``."""
