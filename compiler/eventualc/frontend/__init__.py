"""The front end: spec files -> the IR, with every diagnostic a spec can earn there.

``source`` (YAML with positions) -> ``shape`` (the spec schema, through ``validator``)
-> ``lower`` (the IR of ``ir``; user schemas by ``schemas``, durations by
``durations``), and ``symbols``, the lookup tables later stages share.
"""
