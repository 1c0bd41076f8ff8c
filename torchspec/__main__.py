"""``python -m torchspec``: the ``torchspec`` command."""

import sys

from .cli import main

sys.exit(main())
