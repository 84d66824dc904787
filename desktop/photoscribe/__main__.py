"""Allow ``python -m photoscribe``."""

from photoscribe.cli import main

raise SystemExit(main())
