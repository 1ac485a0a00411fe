"""The Redis reader's memory of keys SCAN returned: each key once, in order, on disk."""

from __future__ import annotations

from pathlib import Path

from app.etl.readers.redis import SeenKeys


def test_a_key_returned_again_is_not_read_twice():
    seen = SeenKeys()
    folder = Path(seen._dir.name)
    assert seen.fresh([b"a", b"b", b"a"]) == [b"a", b"b"]
    assert seen.fresh([b"b", b"c", b"\xff"]) == [b"c", b"\xff"]
    assert seen.fresh([]) == []
    assert (folder / "seen.db").is_file()
    seen.close()
    assert not folder.exists()  # the file goes with the read
