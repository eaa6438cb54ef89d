"""Tables: everything that reads or writes a reference table.

``load`` reads and validates the bundled and user tables, ``store`` is the user's data store
(atomic, locked, checksummed), ``sources`` holds the updaters that refresh it from open sources.
"""
