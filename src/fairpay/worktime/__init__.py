"""Work time: how long the work takes.

``estimates`` turns a pilot into a task time, ``durations`` turns a log of intervals into worked
time (one interval union), ``forecast`` predicts production from a pilot.
"""
