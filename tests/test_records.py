"""corsc.records: the ``__repr__`` every frozen record shares reads exactly as the one attrs
would have generated, and every frozen record in corsc and its backends uses it, so building
them compiles no ``__repr__``."""

from __future__ import annotations

import importlib
import pkgutil

import attrs
import pytest

import backends
import corsc
from corsc import ir
from corsc.records import fields_repr
from corsc.source import Source


def attrs_twin(record: object) -> object:
    """The same field values in a class of the same name whose ``__repr__`` attrs generates."""
    fields = attrs.fields(type(record))
    twin = attrs.make_class(
        type(record).__name__,
        {field.name: attrs.field(repr=field.repr) for field in fields},
        frozen=True,
    )
    return twin(**{field.alias: getattr(record, field.name) for field in fields})


def sample_records() -> list[object]:
    source = Source("api.cors", "policy a {\n  methods GET\n}\n")
    span = source.span(0, 6)
    origin = ir.OriginPattern(
        kind=ir.PatternKind.EXACT, text="https://a.example", span=span, host="a.example"
    )
    return [span, span.start, origin, ir.TokenList((ir.Token("X-A", span),)), source]


@pytest.mark.parametrize("record", sample_records(), ids=lambda record: type(record).__name__)
def test_repr_reads_as_attrs_writes_it(record: object) -> None:
    assert type(record).__repr__ is fields_repr
    assert repr(record) == repr(attrs_twin(record))


def test_source_hides_its_line_index() -> None:
    assert repr(Source("a.cors", "x\n")) == "Source(name='a.cors', text='x\\n')"


def test_a_field_hidden_or_shown_its_own_way_reads_as_attrs_writes_it() -> None:
    @attrs.frozen
    class Record:
        __repr__ = fields_repr

        shown: int
        hidden: str = attrs.field(repr=False, default="")
        custom: int = attrs.field(repr=lambda value: f"<{value}>", default=0)

    record = Record(1, "x", 2)
    assert repr(record) == "Record(shown=1, custom=<2>)"
    assert repr(record) == repr(attrs_twin(record))


def frozen_records() -> list[type]:
    """Every frozen attrs class defined in corsc and its backends."""
    found = []
    for package in (corsc, backends):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            module = importlib.import_module(info.name)
            found += [
                value
                for value in vars(module).values()
                if isinstance(value, type)
                and value.__module__ == module.__name__
                and attrs.has(value)
                and value.__setattr__ is not object.__setattr__  # frozen
            ]
    return found


def test_every_frozen_record_shares_the_repr() -> None:
    records = frozen_records()
    assert len(records) >= 80
    assert [record.__qualname__ for record in records if record.__repr__ is not fields_repr] == []
