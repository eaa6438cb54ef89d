"""Reports: one result in, Markdown, HTML, JSON, plots and spreadsheet-safe CSV out.

Holds no arithmetic: every figure comes from a check or audit result.
"""
