"""``python -m skmnist`` runs the command line."""

import sys

from skmnist.cli import main

sys.exit(main())
