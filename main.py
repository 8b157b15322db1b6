"""Entry point: python main.py [serve|migrate|token]."""

import sys

from service.cli import main

if __name__ == "__main__":
    sys.exit(main())
