"""Performance benchmarks, timed as ratios against a peer in the same process."""
