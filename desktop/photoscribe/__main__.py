"""Allow ``python -m photoscribe``."""

import multiprocessing

from photoscribe.command import main

multiprocessing.freeze_support()  # the installed (PyInstaller) app: `photoscribe add` starts reader processes
raise SystemExit(main())
