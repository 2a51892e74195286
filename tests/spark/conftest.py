"""One local Spark (`local[2]`) for all the Spark tests. They fail, never skip, when pyspark or Java is missing."""

import pytest

FIX = 'install the Spark extra (`pip install ".[test,spark]"`) and Java 17 (`java -version`); .ci/run does both'


@pytest.fixture(scope="session")
def spark():
    """A `local[2]` session with few shuffle partitions and no UI: light enough for a 2-core machine."""
    from obcdsl.spark.session import SparkUnavailable, get_session, require_spark

    try:
        require_spark()
    except SparkUnavailable as exc:
        pytest.fail(f"the Spark tests cannot run: {exc}; {FIX}", pytrace=False)
    session = get_session(master="local[2]", conf={"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4",
                                                   "spark.default.parallelism": "2"})
    yield session
    session.stop()
