"""The SSE parser accepts every legal framing and reports the illegal ones."""

from __future__ import annotations

from aigw_conformance.suites import sse


def test_lf_crlf_and_cr_line_endings_parse_to_the_same_events() -> None:
    lf = b'data: {"a":1}\n\ndata: [DONE]\n\n'
    for body in (lf, lf.replace(b"\n", b"\r\n"), lf.replace(b"\n", b"\r")):
        parsed = sse.parse(body)
        assert [event.data for event in parsed.events] == ['{"a":1}', "[DONE]"]
        assert parsed.problems == []


def test_comment_lines_are_ignored_and_counted() -> None:
    parsed = sse.parse(b': keep-alive\n\ndata: x\n: between\n\ndata: [DONE]\n\n')
    assert [event.data for event in parsed.events] == ["x", "[DONE]"]
    assert parsed.comments == 2
    assert parsed.problems == []


def test_multi_line_data_is_joined_with_newlines_and_fields_are_kept() -> None:
    parsed = sse.parse(b"event: update\nid: 7\ndata: one\ndata:two\n\n")
    assert parsed.events == [sse.Event("one\ntwo", "update", "7")]


def test_an_unterminated_last_event_is_a_problem_and_not_dispatched() -> None:
    parsed = sse.parse(b"data: a\n\ndata: [DONE]")
    assert [event.data for event in parsed.events] == ["a"]
    assert "not terminated" in parsed.problems[0]


def test_unknown_fields_and_invalid_utf8_are_reported() -> None:
    assert "unknown SSE field" in sse.parse(b"dta: x\n\n").problems[0]
    assert "UTF-8" in sse.parse(b"data: \xff\n\n").problems[0]


def test_a_byte_order_mark_is_skipped() -> None:
    assert sse.parse("\ufeffdata: x\n\n".encode()).events == [sse.Event("x")]
