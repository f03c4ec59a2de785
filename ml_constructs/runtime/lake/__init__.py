"""The ingestion lake's shared logic: schema, Firehose transformation, curation SQL (patterns I3-I10).

Standard library only: the same modules run in the transformation Lambda, in the Glue job and
in the tests.
"""
