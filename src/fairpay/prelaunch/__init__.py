"""Pre-launch: a project spec in, a verdict per task x place out.

``spec`` parses and validates the project, ``check`` computes the verdict, ``whatif`` runs the
check over a grid of pay scales and policies.
"""
