"""Subcommands of the ``skmnist`` command line, one module each (see skmnist.cli)."""
