"""nic_top end to end with independent models.

cocotbext-axi AxiLiteMaster (registers) and AxiRam (host memory, checks 4 KiB
crossings and WLAST), cocotbext-eth GmiiSink (every TX frame: preamble, SFD,
FCS, gap measured in clocks) and GmiiSource (RX frames). Register offsets
and fields come from rtl/nic_defs.vh.
"""

from __future__ import annotations

import logging
import os
import random
import struct
import zlib

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge
from cocotb.utils import get_sim_time
from cocotbext.axi import AxiBus
from cocotbext.eth import GmiiFrame, GmiiSink, GmiiSource

from cocotb_run import RTL, run
from test_dma import FaultRam, axi_protocol_checker
from tbutil import WireMonitor
from test_nic_regs import D, RegTb, build_args, nic_sources

SLOW_SIM = os.environ.get("NICSIM_SLOW_SIM", "0") == "1"
MEM_SIZE = 1 << 20
TX_RING, RX_RING = 0x1000, 0x2000
TX_BUFS, RX_BUFS = 0x10000, 0x80000
FILL = 0x5A
MAC = bytes.fromhex("020000000001")
PEER = bytes.fromhex("020000000002")
BCAST = b"\xff" * 6
PRE = b"\x55" * 7 + b"\xd5"


def bit(name: str) -> int:
    return 1 << D[name]


def eth(dst: bytes, n: int, seed: int, src: bytes = PEER) -> bytes:
    """An Ethernet frame of n bytes (no FCS) with a seeded payload."""
    rng = random.Random(seed)
    return dst + src + b"\x08\x00" + bytes(rng.randrange(256) for _ in range(n - 14))


def csum16(data: bytes) -> int:
    """Ones-complement sum, not complemented, big-endian words (RFC 1071)."""
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack(f">{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


class NicTb(RegTb):
    """Registers + host memory + GMII models + a minimal e1000-style driver."""

    def __init__(self, dut):
        super().__init__(dut)
        self.ram = FaultRam(AxiBus.from_prefix(dut, "m_axi"), dut.clk, dut.rst, size=MEM_SIZE)
        self.ram.write_if.log.setLevel(logging.WARNING)
        self.ram.read_if.log.setLevel(logging.WARNING)
        self.ram.write(0, bytes([FILL]) * MEM_SIZE)
        cocotb.start_soon(axi_protocol_checker(dut))
        self.sink = GmiiSink(dut.gmii_txd, dut.gmii_tx_er, dut.gmii_tx_en, dut.clk, dut.rst)
        self.source = GmiiSource(dut.gmii_rxd, dut.gmii_rx_er, dut.gmii_rx_dv, dut.clk, dut.rst)
        # clock-exact capture for the preamble and the gaps: the installed
        # GmiiSink drops the first byte of a burst that starts after idle
        self.wire = WireMonitor(dut, dut.gmii_txd, dut.gmii_tx_en, dut.gmii_tx_er)
        self.wire_seen = 0
        self.sink.log.setLevel(logging.WARNING)
        self.source.log.setLevel(logging.WARNING)
        self.tx_tail = 0
        self.tx_n = 0
        self.rx_tail = 0
        self.rx_head = 0
        self.rx_n = 0
        self.rx_bufs: dict[int, int] = {}

    async def init(self, rx_n: int = 32, tx_n: int = 32, post_rx: bool = True) -> None:
        await self.reset()
        await self.wr(D["REG_RAL0"], int.from_bytes(MAC[:4], "little"))
        await self.wr(D["REG_RAH0"], int.from_bytes(MAC[4:], "little") | bit("RAH_AV_BIT"))
        # TX ring
        self.tx_n, self.tx_tail = tx_n, 0
        await self.wr("TDBAL", TX_RING)
        await self.wr("TDBAH", 0)
        await self.wr("TDLEN", tx_n * 16)
        await self.wr("TDH", 0)
        await self.wr("TDT", 0)
        await self.wr("TCTL", bit("TCTL_EN_BIT") | bit("TCTL_PSP_BIT"))
        # RX ring, 2048-byte buffers
        self.rx_n, self.rx_tail, self.rx_head = rx_n, 0, 0
        await self.wr("RDBAL", RX_RING)
        await self.wr("RDBAH", 0)
        await self.wr("RDLEN", rx_n * 16)
        await self.wr("RDH", 0)
        await self.wr("RDT", 0)
        for slot in range(rx_n):
            buf = RX_BUFS + slot * 0x800
            self.rx_bufs[slot] = buf
            self.ram.write(RX_RING + 16 * slot, struct.pack("<QQ", buf, 0))
        await self.wr("RCTL", bit("RCTL_EN_BIT") | bit("RCTL_SECRC_BIT") | bit("RCTL_BAM_BIT"))
        if post_rx:
            await self.post_rx(rx_n - 1)

    async def post_rx(self, count: int) -> None:
        self.rx_tail = (self.rx_tail + count) % self.rx_n
        await self.wr("RDT", self.rx_tail)

    async def send(self, frames: list[bytes]) -> list[int]:
        """Queue frames on the TX ring (one descriptor each, IFCS|EOP|RS); returns the slots."""
        slots = []
        for i, f in enumerate(frames):
            slot = self.tx_tail
            buf = TX_BUFS + slot * 0x800 + (i % 8)
            self.ram.write(buf, f)
            cmd = 0x01 | 0x02 | 0x08
            self.ram.write(TX_RING + 16 * slot, struct.pack("<QHBBBBH", buf, len(f), 0, cmd, 0, 0, 0))
            self.tx_tail = (self.tx_tail + 1) % self.tx_n
            slots.append(slot)
        await self.wr("TDT", self.tx_tail)
        return slots

    async def wait_cycles(self, cond, limit: int, what: str) -> None:
        for _ in range(limit):
            if cond():
                return
            await RisingEdge(self.dut.clk)
        raise AssertionError(f"timeout waiting for {what}")

    async def recv_tx(self, n: int, limit_cycles: int) -> list[tuple[GmiiFrame, object]]:
        """The next n TX frames as (GmiiSink frame, clock-exact wire capture)."""
        out = []
        for _ in range(n):
            await self.wait_cycles(lambda: not self.sink.empty(), limit_cycles, "a TX frame on GMII")
            await self.wait_cycles(lambda: len(self.wire.frames) > self.wire_seen, 10, "the wire capture")
            out.append((self.sink.recv_nowait(), self.wire.frames[self.wire_seen]))
            self.wire_seen += 1
        return out

    def rx_desc(self, slot: int) -> tuple[int, int, int, int, int]:
        """(length, checksum, status, errors, special) of an RX descriptor."""
        return struct.unpack("<HHBBH", self.ram.read(RX_RING + 16 * slot + 8, 8))

    async def wait_rx(self, count: int, limit_cycles: int) -> None:
        """Wait until RDH has moved by count descriptors."""
        target = (self.rx_head + count) % self.rx_n
        for _ in range(limit_cycles // 20):
            if await self.rd("RDH") == target:
                self.rx_head = target
                return
            await ClockCycles(self.dut.clk, 20)
        raise AssertionError(f"RDH never reached {target}")


def check_wire_frame(got: tuple[GmiiFrame, object], payload: bytes) -> None:
    """Preamble, SFD, FCS and padded payload of one TX frame (IEEE 802.3 clause 3/4)."""
    fr, wire = got
    want = payload.ljust(60, b"\x00")
    assert wire.data[:8] == PRE, f"preamble/SFD {wire.data[:8].hex()}"
    assert wire.data[8:] == want + struct.pack("<L", zlib.crc32(want)), "wire bytes differ"
    assert not any(wire.er), "tx_er inside a frame"
    assert fr.get_preamble()[-1] == 0xD5, "SFD"
    assert fr.check_fcs(), "bad FCS"
    assert bytes(fr.get_payload()) == want, "payload differs"


@cocotb.test()
async def tx_frames_on_gmii(dut):
    """Frames 14..1514 bytes: preamble, SFD, pad, FCS, exact gap; TXDW/TXQE, counters, TDH."""
    tb = NicTb(dut)
    await tb.init()
    await tb.wr("TIPG", 20)
    rng = random.Random(21)
    sizes = [14, 59, 60, 61, 64, 100, 1514] + [rng.randint(14, 1514) for _ in range(2 if SLOW_SIM else 13)]
    frames = [eth(PEER, n, i) for i, n in enumerate(sizes)]
    await tb.send(frames)
    got = await tb.recv_tx(len(frames), 20000)
    for fr, payload in zip(got, frames):
        check_wire_frame(fr, payload)
    # back-to-back frames: the gap is exactly IPGT (20 byte times)
    gaps = [b[1].start - a[1].end - 1 for a, b in zip(got, got[1:])]
    assert all(g == 20 for g in gaps), gaps
    assert await tb.rd("TDH") == tb.tx_tail
    icr = await tb.rd("ICR")
    assert icr & D["ICR_TXDW"] and icr & D["ICR_TXQE"], hex(icr)
    assert await tb.rd("GPTC") == len(frames)
    assert await tb.rd("TPT") == len(frames)
    octets = sum(max(len(f), 60) + 4 for f in frames)
    assert await tb.rd("GOTCL") == octets
    assert await tb.rd("GOTCH") == 0
    assert await tb.rd("GOTCL") == 0, "the low read restarted GOTC; no octets since"
    # DD written in every descriptor (RS set)
    for slot in range(len(frames)):
        assert tb.ram.read(TX_RING + 16 * slot + 12, 1) == b"\x01"
    await tb.wait_cycles(lambda: int(dut.quiescent.value), 200, "quiescent")


@cocotb.test()
async def rx_frames_to_memory(dut):
    """Good frames land in the buffers with the right length, checksum and status."""
    tb = NicTb(dut)
    await tb.init()
    await tb.wr("RXCSUM", 14)
    rng = random.Random(22)
    sizes = [60, 61, 64, 1514] + [rng.randint(60, 1514) for _ in range(2 if SLOW_SIM else 12)]
    frames = [eth(MAC if i % 3 else BCAST, n, 100 + i) for i, n in enumerate(sizes)]
    for f in frames:
        await tb.source.send(GmiiFrame.from_payload(f))
    await tb.wait_rx(len(frames), 40000)
    for slot, f in enumerate(frames):
        length, csum, status, errors, _ = tb.rx_desc(slot)
        assert length == len(f), (slot, length, len(f))
        assert status == 0x07, hex(status)  # DD | EOP | IXSM
        assert errors == 0
        assert csum == csum16(f[14:]), (hex(csum), hex(csum16(f[14:])))
        buf = tb.rx_bufs[slot]
        assert tb.ram.read(buf, len(f)) == f
        assert tb.ram.read(buf + len(f), 8) == bytes([FILL]) * 8, "write past the frame"
    assert await tb.rd("GPRC") == len(frames)
    assert await tb.rd("BPRC") == sum(1 for i in range(len(frames)) if i % 3 == 0)
    assert await tb.rd("GORCL") == sum(len(f) + 4 for f in frames)
    assert (await tb.rd("ICR")) & D["ICR_RXT0"]
    assert await tb.rd("RNBC") == 0 and await tb.rd("MPC") == 0


@cocotb.test()
async def rx_errors_counted_never_delivered(dut):
    """Bad FCS, runt, oversize, rx_er, filter misses: counted exactly, never in memory."""
    tb = NicTb(dut)
    await tb.init()
    await tb.wr("RCTL", bit("RCTL_EN_BIT") | bit("RCTL_SECRC_BIT"))  # no BAM
    good = eth(MAC, 100, 1)
    bad_fcs = bytearray(GmiiFrame.from_payload(eth(MAC, 200, 2)).data)
    bad_fcs[30] ^= 0x01
    short = eth(MAC, 40, 3)
    runt = GmiiFrame.from_raw_payload(short + struct.pack("<L", zlib.crc32(short)))
    oversize = GmiiFrame.from_payload(eth(MAC, 1515, 4))  # 1519 bytes with FCS
    rx_er = GmiiFrame.from_payload(eth(MAC, 300, 5))
    rx_er.error = [0] * 50 + [1] + [0] * (len(rx_er.data) - 51)
    other = GmiiFrame.from_payload(eth(bytes.fromhex("020000000099"), 100, 6))
    bcast = GmiiFrame.from_payload(eth(BCAST, 100, 7))
    mcast = GmiiFrame.from_payload(eth(bytes.fromhex("01005e000001"), 100, 8))
    for fr in (GmiiFrame(bad_fcs), runt, oversize, rx_er, other, bcast, mcast,
               GmiiFrame.from_payload(good)):
        await tb.source.send(fr)
    await tb.wait_rx(1, 40000)
    assert tb.ram.read(tb.rx_bufs[0], len(good)) == good
    assert tb.rx_desc(0)[0] == len(good)
    await ClockCycles(dut.clk, 200)
    assert await tb.rd("RDH") == 1, "only the good frame is delivered"
    assert tb.ram.read(tb.rx_bufs[1], 64) == bytes([FILL]) * 64
    assert await tb.rd("CRCERRS") == 1
    assert await tb.rd("RUC") == 1
    assert await tb.rd("ROC") == 1
    assert await tb.rd("RXERRC") == 1
    assert await tb.rd("GPRC") == 1
    assert await tb.rd("TPR") == 8
    assert await tb.rd("MPC") == 0
    assert await tb.rd("CRCERRS") == 0, "statistics clear on read"


@cocotb.test()
async def rx_filter_modes(dut):
    """Exact match, BAM, MTA hash (MO=0), MPE, UPE decide what is delivered."""
    tb = NicTb(dut)
    await tb.init()
    base = bit("RCTL_EN_BIT") | bit("RCTL_SECRC_BIT")
    mc = bytes.fromhex("01005e0000aa")
    other = bytes.fromhex("0200000000ee")
    # MTA hash with MO = 0: destination address bits 47:36 (8254x 13.5.1)
    idx = (int.from_bytes(mc, "little") >> 36) & 0xFFF
    cases = [  # (rctl, mta bit set, destination, delivered)
        (base, False, MAC, True),
        (base, False, BCAST, False),
        (base | bit("RCTL_BAM_BIT"), False, BCAST, True),
        (base, False, mc, False),
        (base, True, mc, True),
        (base | bit("RCTL_MPE_BIT"), False, mc, True),
        (base, False, other, False),
        (base | bit("RCTL_UPE_BIT"), False, other, True),
    ]
    delivered = 0
    for k, (rctl, mta, dst, ok) in enumerate(cases):
        await tb.wr("RCTL", rctl)
        await tb.wr(D["REG_MTA"] + 4 * (idx >> 5), (1 << (idx & 31)) if mta else 0)
        f = eth(dst, 80, 300 + k)
        await tb.source.send(GmiiFrame.from_payload(f))
        await tb.source.wait()
        await ClockCycles(dut.clk, 150)
        if ok:
            await tb.wait_rx(1, 2000)
            assert tb.ram.read(tb.rx_bufs[delivered], len(f)) == f
            delivered += 1
        assert await tb.rd("RDH") == delivered, f"case {k}"
    assert await tb.rd("TPR") == len(cases)


async def _irq_after(tb: NicTb, start_ns: float, limit: int) -> float:
    for _ in range(limit):
        await RisingEdge(tb.dut.clk)
        if int(tb.dut.irq.value):
            return get_sim_time("ns") - start_ns
    raise AssertionError("irq never rose")


@cocotb.test()
async def rx_moderation_timers(dut):
    """RDTR delays RXT0 after the last frame; RADV bounds the delay from the first."""
    tb = NicTb(dut)
    await tb.init()
    await tb.wr("IMS", D["ICR_RXT0"])
    await tb.wr("RDTR", 4)
    await tb.source.send(GmiiFrame.from_payload(eth(MAC, 100, 1)))
    await tb.source.wait()
    t0 = get_sim_time("ns")
    dt = await _irq_after(tb, t0, 3000)
    # the frame reaches memory within ~0.3 us of its last byte, then 4 x 1024 ns
    assert 4 * 1024 <= dt <= 4 * 1024 + 600, dt
    assert await tb.rd("ICR") == D["ICR_RXT0"]
    await tb.wait_rx(1, 2000)
    # frames every 2 us restart RDTR (3 us) each time; RADV (6 us) caps the delay
    await tb.wr("RDTR", 3)
    await tb.wr("RADV", 6)
    t0 = None
    fired = None
    for k in range(6):
        await tb.source.send(GmiiFrame.from_payload(eth(MAC, 100, 10 + k)))
        await tb.source.wait()
        if t0 is None:
            t0 = get_sim_time("ns")
        for _ in range(250):
            await RisingEdge(dut.clk)
            if fired is None and int(dut.irq.value):
                fired = get_sim_time("ns") - t0
    assert fired is not None
    assert 6 * 1024 <= fired <= 6 * 1024 + 600, fired


@cocotb.test()
async def tx_moderation_tidv(dut):
    """TXDW of an IDE descriptor waits TIDV x 1.024 us; without IDE it is immediate."""
    tb = NicTb(dut)
    await tb.init()
    await tb.wr("IMS", D["ICR_TXDW"])
    await tb.wr("TIDV", 3)
    await tb.send([eth(PEER, 60, 1)])
    t0 = get_sim_time("ns")
    dt = await _irq_after(tb, t0, 2000)
    assert dt < 1000, dt  # no IDE: written back and signalled within the DMA latency
    assert await tb.rd("ICR") & D["ICR_TXDW"]
    await tb.recv_tx(1, 2000)
    await ClockCycles(dut.clk, 50)
    # the same with CMD.IDE (bit 7)
    slot = tb.tx_tail
    buf = TX_BUFS + 0x100
    f = eth(PEER, 60, 2)
    tb.ram.write(buf, f)
    tb.ram.write(TX_RING + 16 * slot, struct.pack("<QHBBBBH", buf, len(f), 0, 0x80 | 0x0B, 0, 0, 0))
    tb.tx_tail = (slot + 1) % tb.tx_n
    await tb.wr("TDT", tb.tx_tail)
    t0 = get_sim_time("ns")
    dt = await _irq_after(tb, t0, 3000)
    assert 3 * 1024 <= dt <= 3 * 1024 + 1000, dt


@cocotb.test()
async def ctrl_rst_mid_traffic(dut):
    """CTRL.RST with frames in flight both ways: bus drains, registers reset, traffic resumes."""
    tb = NicTb(dut)
    await tb.init()
    n = 3 if SLOW_SIM else 6
    await tb.send([eth(PEER, 1514, i) for i in range(n)])
    for i in range(n):
        tb.source.send_nowait(GmiiFrame.from_payload(eth(MAC, 1514, 50 + i)))
    await ClockCycles(dut.clk, 2500)
    await tb.soft_reset(polls=200)
    assert await tb.rd("RCTL") == 0 and await tb.rd("TCTL") == 0
    assert await tb.rd("TDH") == 0 and await tb.rd("RDH") == 0
    assert await tb.rd("GPTC") == 0
    # frames completed before the reset are intact; the one cut by it is not
    done = len(tb.wire.frames) - 1  # the last burst may have been cut by the reset
    sent = await tb.recv_tx(done, 10)
    for got, f in zip(sent, [eth(PEER, 1514, i) for i in range(n)]):
        check_wire_frame(got, f)
    await tb.source.wait()
    await ClockCycles(dut.clk, 2000)
    tb.sink.clear()
    tb.wire_seen = len(tb.wire.frames)
    # the NIC works again after re-initialisation
    tb.ram.write(0, bytes([FILL]) * MEM_SIZE)
    await tb.init()
    frames = [eth(PEER, 200, 90 + i) for i in range(3)]
    await tb.send(frames)
    got = await tb.recv_tx(3, 20000)
    for fr, f in zip(got, frames):
        check_wire_frame(fr, f)
    f = eth(MAC, 300, 99)
    await tb.source.send(GmiiFrame.from_payload(f))
    await tb.wait_rx(1, 5000)
    assert tb.ram.read(tb.rx_bufs[0], len(f)) == f


@cocotb.test()
async def dma_error_reported(dut):
    """A TX buffer bus error: ICR.DMAERR, DMAERR registers, STATUS.TXSTOP; RX keeps working; CTRL.RST recovers."""
    tb = NicTb(dut)
    await tb.init()
    await tb.wr("IMS", D["ICR_DMAERR"])
    bad = TX_BUFS + 0x800 * 1
    tb.ram.bad = [(bad, bad + 0x800)]
    await tb.send([eth(PEER, 100, 1), eth(PEER, 100, 2), eth(PEER, 100, 3)])
    await tb.wait_cycles(lambda: int(dut.irq.value), 3000, "DMAERR irq")
    assert await tb.rd("ICR") & D["ICR_DMAERR"]
    assert await tb.rd("DMAERR") == (bit("DMAERR_VALID_BIT") | (2 << D["DMAERR_RESP_LSB"]))
    # frame 1's buffer starts at bad + 1: the failing beat is the aligned one
    assert await tb.rd("DMAERR_ADDRL") == bad
    assert await tb.rd("DMAERR_ADDRH") == 0
    assert (await tb.rd("STATUS")) & bit("STATUS_TXSTOP_BIT")
    got = await tb.recv_tx(1, 5000)
    check_wire_frame(got[0], eth(PEER, 100, 1))
    await ClockCycles(dut.clk, 500)
    assert tb.sink.empty(), "nothing after the failing frame"
    assert await tb.rd("TDH") == 1
    # RX is independent
    f = eth(MAC, 100, 9)
    await tb.source.send(GmiiFrame.from_payload(f))
    await tb.wait_rx(1, 5000)
    assert tb.ram.read(tb.rx_bufs[0], len(f)) == f
    tb.ram.bad = []
    await tb.wr("CTRL", bit("CTRL_RST_BIT"))
    await ClockCycles(dut.clk, 50)
    assert await tb.rd("DMAERR") == 0
    assert not (await tb.rd("STATUS")) & bit("STATUS_TXSTOP_BIT")


@cocotb.test()
async def rx_no_descriptor_waits_then_drops(dut):
    """No free descriptor: frames wait in the FIFO (RNBC once each), overflow is MPC + RXO."""
    tb = NicTb(dut)
    await tb.init(post_rx=False)
    await tb.wr("IMS", D["ICR_RXO"])
    f0 = eth(MAC, 1514, 1)
    await tb.source.send(GmiiFrame.from_payload(f0))
    await tb.source.wait()
    await ClockCycles(dut.clk, 100)
    assert await tb.rd("RNBC") == 1
    assert not int(dut.quiescent.value), "a waiting frame is not quiescent"
    # 16 KiB FIFO: about ten full frames fit, the rest are missed
    for i in range(14):
        tb.source.send_nowait(GmiiFrame.from_payload(eth(MAC, 1514, 2 + i)))
    await tb.source.wait()
    await ClockCycles(dut.clk, 100)
    missed = await tb.rd("MPC")
    assert missed >= 1
    assert int(dut.irq.value) and (await tb.rd("ICR")) & D["ICR_RXO"]
    await tb.post_rx(tb.rx_n - 1)
    await tb.wait_rx(15 - missed, 60000)
    assert tb.ram.read(tb.rx_bufs[0], len(f0)) == f0, "the waiting frame is delivered first and whole"
    assert await tb.rd("GPRC") == 15 - missed
    await tb.wait_cycles(lambda: int(dut.quiescent.value), 500, "quiescent")


@cocotb.test()
async def line_rate_both_ways(dut):
    """Back-to-back 1518-byte frames in both directions at once: TX every 1538 clocks, RX all delivered."""
    tb = NicTb(dut)
    await tb.init(rx_n=64)
    await tb.wr("TIPG", 12)
    n = 3 if SLOW_SIM else 10
    tx = [eth(PEER, 1514, i) for i in range(n)]
    rx = [eth(MAC, 1514, 500 + i) for i in range(n)]
    for f in rx:
        tb.source.send_nowait(GmiiFrame.from_payload(f))
    await tb.send(tx)
    got = await tb.recv_tx(n, 40000)
    for fr, f in zip(got, tx):
        check_wire_frame(fr, f)
    period = [b[1].start - a[1].start for a, b in zip(got, got[1:])]
    assert all(p == 1538 for p in period), period
    await tb.wait_rx(n, 40000)
    for slot, f in enumerate(rx):
        assert tb.ram.read(tb.rx_bufs[slot], len(f)) == f
    assert await tb.rd("MPC") == 0


@cocotb.test()
async def tctl_en_gates_tx(dut):
    """With TCTL.EN low nothing is fetched or sent and the NIC is quiescent; setting it sends."""
    tb = NicTb(dut)
    await tb.init()
    await tb.wr("TCTL", bit("TCTL_PSP_BIT"))
    f = eth(PEER, 300, 5)
    await tb.send([f])
    await ClockCycles(dut.clk, 500)
    assert tb.sink.empty() and not tb.wire.frames
    assert await tb.rd("TDH") == 0
    assert int(dut.quiescent.value), "pending descriptors with TCTL.EN low are not work"
    assert (await tb.rd("STATUS")) & bit("STATUS_QUIESCENT_BIT")
    await tb.wr("TCTL", bit("TCTL_EN_BIT") | bit("TCTL_PSP_BIT"))
    assert not int(dut.quiescent.value)
    got = await tb.recv_tx(1, 3000)
    check_wire_frame(got[0], f)
    assert await tb.rd("TDH") == 1


@cocotb.test()
async def rx_long_frame_spans_descriptors(dut):
    """RCTL.LPE: a 4000-byte frame fills two 2048-byte buffers, EOP on the second."""
    tb = NicTb(dut)
    await tb.init()
    await tb.wr("RCTL", bit("RCTL_EN_BIT") | bit("RCTL_SECRC_BIT") | bit("RCTL_LPE_BIT"))
    f = eth(MAC, 4000, 77)
    await tb.source.send(GmiiFrame.from_payload(f))
    await tb.wait_rx(2, 20000)
    d0, d1 = tb.rx_desc(0), tb.rx_desc(1)
    assert d0[0] == 2048 and d0[2] == 0x05, d0  # DD | IXSM, no EOP
    assert d1[0] == len(f) - 2048 and d1[2] == 0x07, d1  # DD | EOP | IXSM
    assert tb.ram.read(tb.rx_bufs[0], 2048) == f[:2048]
    assert tb.ram.read(tb.rx_bufs[1], len(f) - 2048) == f[2048:]
    assert tb.ram.read(tb.rx_bufs[1] + len(f) - 2048, 8) == bytes([FILL]) * 8
    assert await tb.rd("GPRC") == 1 and await tb.rd("ROC") == 0


def add_latency(tb: NicTb, cycles: int) -> None:
    """Memory latency: every AR and AW waits `cycles` clocks in AxiRam before
    its data (or its W acceptance) starts. AxiRam serves one burst at a time,
    so this is pessimistic: latencies do not overlap."""
    for ch in (tb.ram.read_if.ar_channel, tb.ram.write_if.aw_channel):
        orig = ch.recv

        async def slow_recv(orig=orig):
            req = await orig()
            await ClockCycles(tb.dut.clk, cycles)
            return req

        ch.recv = slow_recv


@cocotb.test()
async def line_rate_min_frames_with_latency(dut):
    """64-byte frames both ways at once with 20 clocks of memory latency:
    TX back to back every 84 clocks, every RX frame delivered, none missed."""
    tb = NicTb(dut)
    add_latency(tb, 20)
    await tb.init(rx_n=64, tx_n=64)
    await tb.wr("TIPG", 12)
    n = 8 if SLOW_SIM else 40
    tx = [eth(PEER, 60, 600 + i) for i in range(n)]
    rx = [eth(MAC, 60, 700 + i) for i in range(n)]
    for f in rx:
        tb.source.send_nowait(GmiiFrame.from_payload(f))
    await tb.send(tx)
    got = await tb.recv_tx(n, 20000)
    for fr, f in zip(got, tx):
        check_wire_frame(fr, f)
    period = [b[1].start - a[1].start for a, b in zip(got, got[1:])]
    assert all(p == 84 for p in period), period
    await tb.wait_rx(n, 20000)
    for slot, f in enumerate(rx):
        assert tb.ram.read(tb.rx_bufs[slot], len(f)) == f
    assert await tb.rd("MPC") == 0
    assert await tb.rd("GPRC") == n


def test_nic_top(sim):
    run("nic_top", nic_sources(), "test_nic_top", sim=sim, includes=[RTL], build_args=build_args(sim),
        extra_env={"NICSIM_SLOW_SIM": "1" if sim == "icarus" else "0"})
