"""``python -m corsc`` — the same as the ``corsc`` command."""

import sys

from corsc.cli import main

sys.exit(main())
