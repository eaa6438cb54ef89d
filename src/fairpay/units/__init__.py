"""Units: places, money, periods and exchange rates.

Pure arithmetic over plain values, no tables and no I/O: the floor every other layer stands on.
"""
