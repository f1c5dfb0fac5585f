"""`python3 -m scripts.netns cleanup` removes the namespaces and links any run left behind."""

import sys

from .campaign import main

sys.exit(main(sys.argv[1:] or ["--help"]))
