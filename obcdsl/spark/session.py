"""Finding or starting the Spark session obcdsl runs on, and saying plainly when Spark cannot run.

Nothing here imports pyspark until a session is asked for, so `import obcdsl`
and `obcdsl check` never load it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional

DEFAULT_MASTER = "local[*]"
INSTALL = 'install the extra with `pip install "obcdsl[spark]"`'
JAVA = "Spark needs Java 17 or later: install a JDK and put `java` on the PATH (or set JAVA_HOME)"


class SparkUnavailable(Exception):
    """Spark cannot run here: pyspark is not installed, or there is no Java; the message says what to do."""


def stopped_message(exc: BaseException) -> Optional[str]:
    """What to say when Spark stops under a running job: its JVM gone (the connection to it refused or reset, or
    py4j's own network error), most often because it ran out of memory. None for any other exception."""
    if not (isinstance(exc, ConnectionError) or type(exc).__module__.startswith("py4j")):
        return None
    return ("Spark stopped while it ran the job: its JVM ended, most often because it ran out of memory. Give it more "
            "(for a local master, `spark.driver.memory 8g` in $SPARK_CONF_DIR/spark-defaults.conf), or run on a cluster "
            "with --master; set OBCDSL_DEBUG=1 to see Spark's log")


def java_command() -> Optional[str]:
    """The `java` Spark would start: `$JAVA_HOME/bin/java`, else the one on the PATH; None if there is none."""
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        return str(candidate) if candidate.is_file() and os.access(candidate, os.X_OK) else None
    return shutil.which("java")


def require_spark() -> None:
    """Raise `SparkUnavailable` unless pyspark imports and a working Java is found."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise SparkUnavailable(f"the Spark engine needs pyspark, which is not installed: {INSTALL}") from None
    try:
        import pandas  # noqa: F401  (pyspark's mapInArrow asks for it)
    except ImportError:
        raise SparkUnavailable(f"the Spark engine needs pandas, which is not installed: {INSTALL}") from None
    java = java_command()
    where = " (JAVA_HOME is set but holds no bin/java)" if os.environ.get("JAVA_HOME") and java is None else ""
    if java is None:
        raise SparkUnavailable(f"no Java found{where}; {JAVA}")
    try:
        subprocess.run([java, "-version"], capture_output=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise SparkUnavailable(f"`{java} -version` failed ({exc}); {JAVA}") from None


def quiet_logging() -> str:
    """A log4j2 configuration that logs nothing (Spark's start-up notes and task failures would clutter the terminal)."""
    import tempfile

    path = Path(tempfile.gettempdir()) / f"obcdsl-log4j2-{os.getuid() if hasattr(os, 'getuid') else 0}.properties"
    text = ("rootLogger.level = off\nrootLogger.appenderRef.stderr.ref = console\n"
            "appender.console.type = Console\nappender.console.name = console\nappender.console.target = SYSTEM_ERR\n"
            "appender.console.layout.type = PatternLayout\nappender.console.layout.pattern = %m%n\n")
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path.as_uri()


def get_session(spark: Any = None, master: Optional[str] = None, conf: Optional[dict] = None) -> Any:
    """The session to run on: `spark` if given (a Databricks notebook's `spark`), else the active one, else a new one.

    A new session runs on `master` (default `local[*]`) with `conf` (Spark settings)
    besides obcdsl's; for a local master the executors' Python is this one, so
    they import the same obcdsl, and Spark's log is quiet (`OBCDSL_DEBUG=1` keeps it).
    """
    if spark is not None:
        return spark
    require_spark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    if master is None and os.environ.get("PYSPARK_GATEWAY_PORT"):  # under spark-submit: its --master holds
        from pyspark import SparkConf

        master = SparkConf().get("spark.master", DEFAULT_MASTER)
    master = master or DEFAULT_MASTER
    if master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = (SparkSession.builder.master(master).appName("obcdsl")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true"))
    quiet = master.startswith("local") and not os.environ.get("OBCDSL_DEBUG")
    if quiet:  # obcdsl reports what fails in its own words; a local Spark's log stays quiet (a cluster's is its own)
        builder = builder.config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={quiet_logging()}")
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - pyspark raises its own kinds when the JVM cannot start or the master is unreachable
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise SparkUnavailable(f"Spark could not start on master `{master}`: {first}") from None
    if quiet:
        session.sparkContext.setLogLevel("OFF")
    return session
