"""The web.config document (corsc.backends.iis_document): the ``Vary`` every IIS target adds,
comments that stay comments, and ``<remove>`` before every ``<add>``."""

from __future__ import annotations

from corsc.backends.iis_document import comment_text, element, keyed, vary_header
from corsc.plan import PolicyPlan
from tests import irbuild


def test_vary_lists_origin_then_the_reflected_request_headers_in_preflight_order() -> None:
    policy = irbuild.policy(
        origins=["https://a.example"],
        headers="*",
        blocks=[("https://b.example", {"methods": "*"})],
    )
    assert vary_header(PolicyPlan.of(policy)) == [
        ("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
    ]


def test_a_fixed_star_varies_only_where_the_layer_answers_cors_requests_only() -> None:
    star = PolicyPlan.of(irbuild.policy(origins=["*"]))
    assert vary_header(star) == []
    assert vary_header(star, answers_cors_requests_only=True) == [("Vary", "Origin")]
    exact = PolicyPlan.of(irbuild.policy(origins=["https://a.example"]))
    assert vary_header(exact) == [("Vary", "Origin")]


def test_comment_text_never_closes_the_comment() -> None:
    assert comment_text("a--b---c-") == " a-\u2010b-\u2010-c- "
    assert "--" not in comment_text("----")


def test_every_add_follows_its_remove() -> None:
    nodes = keyed("name", ["Old", "Kept"], [element("add", name="Kept", value="1")])
    assert [(node.tag, node.get("name")) for node in nodes] == [
        ("remove", "Old"),
        ("remove", "Kept"),
        ("add", "Kept"),
    ]
