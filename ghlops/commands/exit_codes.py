"""Exit codes, as terraform uses them."""

OK = 0
ERROR = 1
CHANGES = 2  # plan --detailed-exitcode: changes present
INTERRUPTED = 130
