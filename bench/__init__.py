"""`make bench`: synthetic knowledge bases at several sizes, page timings, query counts and throughput."""
