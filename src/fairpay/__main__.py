import sys

from fairpay.cli import main

sys.exit(main())
