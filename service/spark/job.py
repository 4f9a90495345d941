"""The entry point for ``spark-submit``: the ``liushou`` command line on the cluster's Spark.

    spark-submit --master yarn --archives liushou-env.tar.gz#env \\
        --conf spark.pyspark.python=./env/bin/python \\
        service/spark/job.py review hdfs:///lists/2026Q4.csv --engine spark \\
        --period 2026Q4 --out-dir hdfs:///liushou/2026Q4

    python -m service.spark.job simulate people.parquet --engine spark --set name=value

Without ``--master`` the session is the one spark-submit configured. The executors need
this package and its dependencies: docs/spark.md says how to ship them (a packed
virtual environment through ``--archives``).
"""

import sys

from service.cli import app


def main(argv: list[str] | None = None) -> None:
    app(args=sys.argv[1:] if argv is None else argv, prog_name="liushou")


if __name__ == "__main__":
    main()
