"""Hypothesis strategies for what people and forged requests put into fields, odd values first."""
import datetime as dt

from hypothesis import strategies as st

# Characters str.isdigit() takes: some int() cannot read (superscripts, circled numbers), some it reads
# although no one types them (Arabic-Indic, Devanagari, full-width); and the ASCII ones.
unicode_digits = st.characters(categories=["Nd", "No"]).filter(str.isdigit)
any_digit = st.one_of(st.sampled_from("0123456789"), unicode_digits)

id_like = st.one_of(
    st.text(unicode_digits, min_size=1, max_size=25),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.integers(min_value=19, max_value=30).map(lambda n: "9" * n),
    # Past Python's 4,300-digit limit for reading integers.
    st.integers(min_value=4301, max_value=5500).map(lambda n: "1" * n),
    st.text(max_size=12),
)
real_id = st.integers(min_value=1, max_value=2**63 - 1).map(str)


def is_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 19 and 0 < int(value) < 2**63


def _iso_week(day) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


week_like = st.one_of(
    # Any week Python's dates can hold, and more often than chance the first and the last of them.
    st.one_of(st.dates(), st.sampled_from([dt.date.min, dt.date.max])).map(_iso_week),
    st.builds(lambda y, w: f"{y:04d}-W{w:02d}", st.integers(0, 10_000), st.integers(0, 60)),
    st.builds(lambda y, w: f"{y}-W{w}", st.text(unicode_digits, min_size=1, max_size=6), st.integers(0, 60)),
    st.text(max_size=12),
)

org_number_like = st.one_of(
    st.text(unicode_digits, min_size=9, max_size=9),
    st.text(any_digit, min_size=9, max_size=9),
    st.from_regex(r"\A[0-9]{9}\Z"),
    st.text(min_size=0, max_size=12),
)

# Free text with what breaks careless code: NUL (PostgreSQL refuses it), markup, very long strings.
text_like = st.one_of(
    st.text(max_size=40),
    # Short runs of the characters that break careless code, so they turn up often.
    st.text(st.sampled_from("\x00<>\"'&%{}\\;-"), min_size=1, max_size=6),
    st.sampled_from(["<script>alert(1)</script>", "'; --", "%s", "{{ x }}"]),
    st.integers(min_value=1000, max_value=6000).map(lambda n: "x" * n),
    # PostgreSQL refuses NUL in text, SQLite stores it: only the production database shows the failure.
    st.builds("{}\x00{}".format, st.text(max_size=10), st.text(max_size=10)),
)
