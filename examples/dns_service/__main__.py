"""``python -m examples.dns_service``: run the service as concurrent processes (see `run`)."""

import sys

from .run import main

sys.exit(main())
