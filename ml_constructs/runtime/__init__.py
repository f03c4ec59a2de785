"""Code that runs on AWS (Lambda handlers, Glue scripts, notebook tools), beside the constructs that deploy it."""
