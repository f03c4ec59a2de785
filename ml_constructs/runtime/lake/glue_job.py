"""Glue ETL job: raw zone -> curated zone (pattern I9).

Reads only the raw partitions added since the last run (job bookmarks on the catalog
source), curates them with curate.curate_sql, and appends deduplicated, partitioned Parquet
to the curated zone. The `schema` and `curate` modules come from the job's --extra-py-files.
"""

import sys

import schema
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from curate import curate_sql
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "database", "raw_table", "curated_path", "partition_field"])
# Glue job arguments cannot be empty: "none" means no extra partition.
partition_field = None if args["partition_field"] == "none" else args["partition_field"]

glue = GlueContext(SparkContext.getOrCreate())
spark = glue.spark_session
job = Job(glue)
job.init(args["JOB_NAME"], args)

raw = glue.create_dynamic_frame.from_catalog(
    database=args["database"], table_name=args["raw_table"], transformation_ctx="raw_events"
)
raw.toDF().createOrReplaceTempView("raw_events")
curated = spark.sql(curate_sql("raw_events", partition_field))
curated.write.mode("append").partitionBy(*schema.partition_keys(partition_field)).parquet(args["curated_path"])

job.commit()
