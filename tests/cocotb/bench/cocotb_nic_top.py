"""nic_top driven by cocotb models at line rate, for the speed comparison of
`nicsim bench` (not part of the regular suite: no ``test_`` prefix).

The same work the nicsim co-simulation does per frame, done by the usual
cocotb models: cocotbext-axi AxiLiteMaster (registers) and AxiRam (host
memory behind m_axi_*), cocotbext-eth GmiiSource (frames into gmii_rx*) and
GmiiSink (frames out of gmii_tx*). FRAMES full-size frames (1514 bytes
without FCS) go out through the TX ring and FRAMES come in through the RX
ring at the same time; every frame is checked byte for byte, so the
measured run cannot pass by doing nothing.

Environment: NICSIM_BENCH_FRAMES (frame count each way), NICSIM_BENCH_OUT
(JSON written here: simulated cycles and the wall time of the traffic part).
"""

from __future__ import annotations

import json
import logging
import os
import random
import struct
import time

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotb.utils import get_sim_time
from cocotbext.axi import AxiBus, AxiLiteBus, AxiLiteMaster, AxiRam
from cocotbext.eth import GmiiFrame, GmiiSink, GmiiSource

from test_nic_regs import D

CLK_NS = 8
MEM_SIZE = 1 << 21
TX_RING, RX_RING = 0x1000, 0x3000
TX_BUFS, RX_BUFS = 0x10000, 0x100000
MAC = bytes.fromhex("020000000001")
PEER = bytes.fromhex("020000000002")


def bit(name: str) -> int:
    return 1 << D[name]


def frame(dst: bytes, n: int, seed: int) -> bytes:
    rng = random.Random(seed)
    return dst + PEER + b"\x08\x00" + bytes(rng.getrandbits(8) for _ in range(n - 14))


@cocotb.test()
async def bench_line_rate(dut):
    """FRAMES full-size frames each way through the rings at line rate."""
    n = int(os.environ.get("NICSIM_BENCH_FRAMES", "20"))
    out = os.environ.get("NICSIM_BENCH_OUT")
    ring = 256
    assert n < ring, "one pass over the rings"
    cocotb.start_soon(Clock(dut.clk, CLK_NS, unit="ns").start())
    axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
    ram = AxiRam(AxiBus.from_prefix(dut, "m_axi"), dut.clk, dut.rst, size=MEM_SIZE)
    sink = GmiiSink(dut.gmii_txd, dut.gmii_tx_er, dut.gmii_tx_en, dut.clk, dut.rst)
    source = GmiiSource(dut.gmii_rxd, dut.gmii_rx_er, dut.gmii_rx_dv, dut.clk, dut.rst)
    for m in (axil.write_if, axil.read_if, ram.write_if, ram.read_if, sink, source):
        m.log.setLevel(logging.WARNING)

    async def wr(name: str, v: int) -> None:
        await axil.write_dword(D["REG_" + name], v)

    dut.link_up.value = 1
    dut.rst.value = 1
    await ClockCycles(dut.clk, 10)
    dut.rst.value = 0
    await ClockCycles(dut.clk, 10)
    await wr("RAL0", int.from_bytes(MAC[:4], "little"))
    await wr("RAH0", int.from_bytes(MAC[4:], "little") | bit("RAH_AV_BIT"))
    await wr("TDBAL", TX_RING)
    await wr("TDLEN", ring * 16)
    await wr("TCTL", bit("TCTL_EN_BIT") | bit("TCTL_PSP_BIT"))
    await wr("TIPG", 12)
    await wr("RDBAL", RX_RING)
    await wr("RDLEN", ring * 16)
    for slot in range(ring):
        ram.write(RX_RING + 16 * slot, struct.pack("<QQ", RX_BUFS + slot * 0x800, 0))
    await wr("RCTL", bit("RCTL_EN_BIT") | bit("RCTL_SECRC_BIT"))
    await wr("RDT", ring - 1)

    tx = [frame(PEER, 1514, i) for i in range(n)]
    rx = [frame(MAC, 1514, 10_000 + i) for i in range(n)]
    t0_wall = time.perf_counter()
    t0_ns = get_sim_time("ns")
    for i, f in enumerate(tx):
        ram.write(TX_BUFS + i * 0x800, f)
        # legacy descriptor: EOP | IFCS | RS
        ram.write(TX_RING + 16 * i, struct.pack("<QHBBBBH", TX_BUFS + i * 0x800, len(f), 0, 0x0B, 0, 0, 0))
    for f in rx:
        source.send_nowait(GmiiFrame.from_payload(f))
    await wr("TDT", n)
    got = []
    limit = 4 * 1600 * n + 20_000
    for _ in range(limit):
        while not sink.empty():
            got.append(sink.recv_nowait())
        done = len(got) >= n
        if done:
            # RX written back: DD in the status byte of the last descriptor
            st = ram.read(RX_RING + 16 * (n - 1) + 12, 1)[0]
            if st & 1:
                break
        await RisingEdge(dut.clk)
    else:
        raise AssertionError(f"timeout: {len(got)} of {n} TX frames")
    t1_ns = get_sim_time("ns")
    wall = time.perf_counter() - t0_wall
    for g, f in zip(got, tx):
        assert g.get_payload() == f, "TX frame differs"
        assert g.check_fcs(), "TX FCS"
    for i, f in enumerate(rx):
        assert ram.read(RX_BUFS + i * 0x800, len(f)) == f, f"RX frame {i} differs"
    cycles = int((t1_ns - t0_ns) / CLK_NS)
    if out:
        with open(out, "w") as fh:
            json.dump({"cycles": cycles, "wall_s": wall, "frames_tx": len(got), "frames_rx": n}, fh)
