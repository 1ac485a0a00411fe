from app.words import plural


def test_counts_read_as_people_write_them():
    assert [plural(1, "run"), plural(0, "row"), plural(1865, "row"), plural(2, "job")] == \
        ["1 run", "0 rows", "1,865 rows", "2 jobs"]
