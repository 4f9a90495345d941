"""Apache Spark: the bulk review and the simulation of a province-sized file (docs/spark.md).

``liushou review … --engine spark`` and ``liushou simulate … --engine spark`` run the
one batch function of the bulk paths (``service.bulk.score_piece``, the same one a
village review runs) on every Arrow batch of every partition through
``DataFrame.mapInArrow``; what needs the whole file (duplicates, counts, workload,
changes) is decided in Spark:

- ``service.spark.sheet``: the file (CSV or Parquet, any path Spark reads) as batches of
  text cells with their sheet row numbers;
- ``service.spark.review``: results per person and data problems as Parquet partitioned by
  township and village, the summary, workload and changes since a previous run;
- ``service.spark.simulate``: baseline against proposal, as ``evaluation.simulate`` reports;
- ``service.spark.job``: the entry point for ``spark-submit``.

Needs the ``spark`` extra (``pip install '.[spark]'``) and Java 17.
"""

import os
import sys

ARROW_BATCH_ROWS = 10_000  # rows per Arrow batch handed to score_piece (Spark's default)
# A local master runs the executors inside the driver's JVM, whose heap is 1 GB unless
# told: too little for 5,000,000 persons' interventions in flight (an OutOfMemoryError)
LOCAL_MEMORY = os.environ.get("LIUSHOU_SPARK_DRIVER_MEMORY", "4g")


def session(master: str | None = None, app_name: str = "liushou"):
    """The active SparkSession, or a new one. ``master``: None keeps what spark-submit set
    (``local[*]`` outside spark-submit)."""
    from pyspark.sql import SparkSession

    # Run here (not by spark-submit) on a local master, the Python workers are this
    # interpreter, with this package, not the first python3 on PATH; on a cluster,
    # PYSPARK_PYTHON (or spark.pyspark.python) names the shipped environment.
    launched_here = "PYSPARK_GATEWAY_PORT" not in os.environ
    builder = SparkSession.builder.appName(app_name)
    if launched_here and (master is None or master.startswith("local")):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = builder.config("spark.driver.memory", LOCAL_MEMORY)
    if master:
        builder = builder.master(master)
    spark = (
        builder.config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(ARROW_BATCH_ROWS))
        .config("spark.sql.session.timeZone", "UTC")  # dates stay the dates written
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("WARN")
    return spark


def java_missing() -> str | None:
    """Why Spark cannot start here (no pyspark, no Java), or None."""
    import importlib.util
    import shutil

    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install '.[spark]')"
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and os.path.exists(os.path.join(java_home, "bin", "java"))) and not (
        shutil.which("java")
    ):
        return (
            "Java is not installed (Spark needs Java 17: apt-get install openjdk-17-jre-headless)"
        )
    return None
