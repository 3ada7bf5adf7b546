"""Graphs of a build: the graph value (``model``), the event graph (``choreography``),
workflow flowcharts (``flowchart``), and what ``eventualc graph`` draws (``select``)."""
