"""`python -m ilabdesk` is the same program as the `ilabdesk` command (jobs re-run it)."""

import sys

from ilabdesk.cli import main

sys.exit(main())
