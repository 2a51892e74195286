"""Without pyspark or Java, `--engine spark` says what to install and exits 2; `--master` needs `--engine spark`."""

import sys

from conftest import CONTRACTS

from obcdsl.cli import main

SIMULATE = ["simulate", str(CONTRACTS / "oxfordshire_mental_health.obc"), "--year", "3",
            "--spec", str(CONTRACTS / "specs" / "oxfordshire_year3.toml"), "--engine", "spark"]
EVALUATE = ["evaluate", str(CONTRACTS / "risk_share_corridor.obc"), "--data", str(CONTRACTS / "data" / "risk_share_corridor.csv"),
            "--patients", str(CONTRACTS / "data" / "risk_share_corridor_patients.csv"), "--engine", "spark"]


def test_without_pyspark_the_engine_asks_for_the_extra(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # `import pyspark` now fails, as where it is not installed
    for command in (SIMULATE, EVALUATE):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert "needs pyspark, which is not installed" in err and 'pip install "obcdsl[spark]"' in err and "Traceback" not in err


def test_without_java_the_engine_says_so(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))  # a JAVA_HOME with no bin/java
    assert main(SIMULATE) == 2
    err = capsys.readouterr().err
    assert "no Java found" in err and "Java 17" in err and "Traceback" not in err
    monkeypatch.delenv("JAVA_HOME")
    monkeypatch.setenv("PATH", str(tmp_path))  # and none on the PATH
    assert main(EVALUATE) == 2
    assert "no Java found" in capsys.readouterr().err


def test_master_needs_the_spark_engine(capsys):
    assert main(SIMULATE[:-2] + ["--master", "local[2]"]) == 2
    assert "--engine spark" in capsys.readouterr().err


def test_importing_obcdsl_spark_loads_no_pyspark():
    import subprocess

    code = ("import sys, obcdsl, obcdsl.spark; "
            "print([m for m in ('pyspark', 'numpy', 'pyarrow') if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_spark_stopping_under_a_job_is_said_plainly(monkeypatch, capsys):
    """The JVM gone mid-job (out of memory, most often) reaches obcdsl as a refused connection or a py4j error."""
    import obcdsl.spark.simulation as on_spark
    import obcdsl.spark.stop_loss as stop_loss_on_spark

    class Py4JNetworkError(Exception):  # py4j's own kind, as the JVM's end raises it
        pass

    Py4JNetworkError.__module__ = "py4j.protocol"

    def refused(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    def gone(*args, **kwargs):
        raise Py4JNetworkError("Answer from Java side is empty")

    monkeypatch.delenv("OBCDSL_DEBUG", raising=False)
    monkeypatch.setattr(stop_loss_on_spark, "read_data", refused)
    monkeypatch.setattr(on_spark, "simulate", gone)
    for command in (EVALUATE + ["--year", "2"], SIMULATE):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert "Spark stopped while it ran the job" in err and "spark.driver.memory" in err and "Traceback" not in err
