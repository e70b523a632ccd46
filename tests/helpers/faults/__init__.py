"""Helpers of the fault tests (tests/e2e/faults/): throwaway stores, load, checks, sockets."""
