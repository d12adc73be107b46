"""A check's script that ends well and writes no result (tests.governance.fail_closed)."""
