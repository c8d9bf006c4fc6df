"""Benchmark harness for streamproc: ceilings, throughput, latency, Halo cost, memory."""
