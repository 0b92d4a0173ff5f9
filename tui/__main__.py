"""``python -m tui``: concviz, as the ``concviz`` console script runs it (``concviz serve`` starts one this way per
browser tab, so that every tab runs under the server's own interpreter)."""

import sys

from tui.cli import main

sys.exit(main())
