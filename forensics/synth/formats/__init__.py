"""One emitter per evidence format; each writes the same underlying accesses its own way.

An emitter receives every ``Access`` in time order (``add``), writes what its format would
hold, counts the rows a parser must produce in a ``Tally``, and is ``close``d at the end.
``forensics.synth.generate`` fans the stream out to the selected emitters.
"""
