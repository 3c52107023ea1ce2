"""cocotb benchmark of nic_top (issue 12); run by `nicsim bench` through run_bench.py."""
