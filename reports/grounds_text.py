"""The one wording of a failure's grounds, shared by failure records, findings and every writer."""

from __future__ import annotations


def grounds_words(grounds: str, source: str, quote: str, width: int = 160) -> str:
    """The grounds' own words: `001: "the quote"` when documented, the reason when a convention; "" when none was
    recorded. Whitespace is collapsed and the text cut to `width` with an ellipsis."""
    text = " ".join(quote.split())
    if not text:
        return ""
    text = text if len(text) <= width else text[: max(width - 1, 0)] + "…"
    return f'{source.split("_")[0] or "seed"}: "{text}"' if grounds == "documented" else text


def describe_grounds(grounds: str, source: str, quote: str, width: int = 160, *, inferred: bool = False) -> str:
    """One line naming a failure's grounds: `documented (001: "…")`, `convention: the reason`, or what is missing."""
    words = grounds_words(grounds, source, quote, width)
    if grounds == "documented":
        return f"documented ({words})" if words else "documented"
    if grounds == "convention":
        return f"convention: {words}" if words else "convention"
    return "convention (grounds not recorded)" if inferred else "no spec element (grounds not recorded)"
