"""Emit stage: IR -> {relative path: text} per target (models, definition, package, stubs).

Pure functions: nothing here reads or writes files; a failure here is a compiler bug.
"""
