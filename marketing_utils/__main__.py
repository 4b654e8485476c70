"""``python -m marketing_utils`` is the ``marketing-workbook`` command."""

import sys

from .runner.cli import main

sys.exit(main())
