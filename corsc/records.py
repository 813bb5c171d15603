"""What corsc's frozen attrs classes share instead of having attrs write it for each of them.

attrs writes each class's methods as source text and compiles it when the class is built; a
``__repr__`` is a third of that cost, and a compile builds some fifty classes before it reads
a line of policy. A class that defines ``__repr__ = fields_repr`` in its body gets no generated
one (attrs leaves a method the class defines itself) and reads exactly as attrs would write it.
"""

from __future__ import annotations

from typing import Any


def fields_repr(self: Any) -> str:
    """``Name(field=value, …)``: the text attrs' own ``__repr__`` gives — the fields attrs
    shows, in order, each by ``repr`` or by the field's own ``repr`` callable. Frozen records
    are built from the bottom up, so none contains itself (attrs guards against that cycle;
    nothing here needs to)."""
    shown = []
    for field in self.__attrs_attrs__:
        if field.repr is False:
            continue
        show = field.repr if callable(field.repr) else repr
        shown.append(f"{field.name}={show(getattr(self, field.name))}")
    name = type(self).__qualname__.rsplit(">.", 1)[-1]
    return f"{name}({', '.join(shown)})"
