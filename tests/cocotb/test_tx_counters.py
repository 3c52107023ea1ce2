"""nic_top transmit path counters (docs/regmap.md, "nicsim: transmit path counters").

Each counted event is provoked through the whole NIC and the counter read
over AXI4-Lite (cocotbext-axi), then read again to see it cleared:

- TXDROPC: frames longer than the 16384-byte TX FIFO (one descriptor and a
  descriptor chain), next to a frame of exactly 16384 bytes that goes out;
- TXCSKIPC: CMD.IC frames with CSS or CSO + 2 outside the frame, next to
  frames whose field just fits (checksum inserted, not counted);
- TXUNDERC: the TX FIFO's output stage is emptied for one clock in the
  middle of a frame (fault injection: the store-and-forward FIFO never runs
  dry by itself), so the MAC cuts the frame with gmii_tx_er.

Every frame on the wire is checked byte for byte from a clock-exact GMII
capture (preamble, SFD, data, FCS).
"""

from __future__ import annotations

import random
import struct
import zlib

import cocotb
from cocotb.triggers import FallingEdge, RisingEdge

from cocotb_run import RTL, run
from test_nic_regs import D, build_args, nic_sources
from test_nic_top import PRE, TX_RING, NicTb, csum16

# TX FIFO capacity in nic_top (tx_fifo DEPTH default): longest frame sent.
TX_FIFO_BYTES = 16384
BIG_BUFS = 0x20000  # 0x20000 .. 0x7FFFF is free in the NicTb memory map
CMD_EOP, CMD_IFCS, CMD_IC, CMD_RS = (1 << D["TXD_CMD_" + n + "_BIT"] for n in ("EOP", "IFCS", "IC", "RS"))
COUNTERS = ("TXDROPC", "TXCSKIPC", "TXUNDERC")


def frame(n: int, seed: int) -> bytes:
    """n bytes: an Ethernet header to a peer, then seeded bytes."""
    rng = random.Random(seed)
    head = bytes.fromhex("020000000002020000000001") + b"\x08\x00"
    return (head + bytes(rng.randrange(256) for _ in range(max(0, n - 14))))[:n]


class TxTb(NicTb):
    """NicTb plus descriptor chains with any buffers and a wire check."""

    def __init__(self, dut):
        super().__init__(dut)
        self.next_buf = BIG_BUFS

    def buf(self, data: bytes) -> int:
        addr = self.next_buf
        self.ram.write(addr, data)
        self.next_buf = (addr + len(data) + 64) & ~7
        assert self.next_buf < 0x80000, "test buffers overrun the RX area"
        return addr

    async def post(self, descs: list[tuple[bytes, int, int, int]]) -> list[int]:
        """Queue descriptors (data, cmd, css, cso) and move TDT; returns their slots."""
        slots = []
        for data, cmd, css, cso in descs:
            slot = self.tx_tail
            self.ram.write(TX_RING + 16 * slot,
                           struct.pack("<QHBBBBH", self.buf(data), len(data), cso, cmd, 0, css, 0))
            self.tx_tail = (self.tx_tail + 1) % self.tx_n
            slots.append(slot)
        await self.wr("TDT", self.tx_tail)
        return slots

    async def drained(self, limit: int) -> None:
        """TDH reached TDT and the NIC is quiescent (bounded in clocks)."""
        await self.wait_cycles(lambda: int(self.dut.quiescent.value), limit, "quiescent")
        assert await self.rd("TDH") == self.tx_tail

    def wire_frames(self) -> list:
        new = self.wire.frames[self.wire_seen:]
        self.wire_seen = len(self.wire.frames)
        return new

    async def counters(self) -> dict[str, int]:
        """Read each counter twice: the value, and 0 after the read cleared it."""
        got = {}
        for name in COUNTERS:
            got[name] = await self.rd(name)
            assert await self.rd(name) == 0, f"{name}: a second read must return 0"
        return got


def wire_bytes(payload: bytes) -> bytes:
    """What the MAC sends for a frame with IFCS and TCTL.PSP (IEEE 802.3 3.2.9)."""
    body = payload.ljust(60, b"\x00")
    return PRE + body + struct.pack("<L", zlib.crc32(body))


def with_csum(data: bytes, css: int, cso: int) -> bytes:
    """8254x 3.3.3.1 legacy checksum insertion, computed independently."""
    b = bytearray(data)
    b[cso:cso + 2] = (~csum16(bytes(b[css:])) & 0xFFFF).to_bytes(2, "big")
    return bytes(b)


@cocotb.test()
async def tx_drop_counts_frames_longer_than_the_fifo(dut):
    """16385 bytes (one descriptor or a chain) dropped and counted; 16384 bytes sent."""
    tb = TxTb(dut)
    await tb.init()
    big = frame(TX_FIFO_BYTES + 1, 1)
    fits = frame(TX_FIFO_BYTES, 2)
    small = frame(100, 3)
    ends = CMD_EOP | CMD_IFCS | CMD_RS
    slots = await tb.post([
        # one descriptor, IC with CSO outside too: a drop is not a skip
        (big, ends | CMD_IC, 0, 255),
        # exactly the FIFO size, as a chain of two
        (fits[:10000], CMD_IFCS, 0, 0),
        (fits[10000:], ends, 0, 0),
        # 9000 + 7385 bytes: too long as a chain
        (big[:9000], CMD_IFCS | CMD_RS, 0, 0),
        (big[9000:], ends, 0, 0),
        (small, ends, 0, 0),
    ])
    await tb.drained(60000)
    wire = tb.wire_frames()
    assert [len(w.data) for w in wire] == [8 + TX_FIFO_BYTES + 4, 8 + 100 + 4], "only the two that fit go out"
    assert wire[0].data == wire_bytes(fits)
    assert wire[1].data == wire_bytes(small)
    assert not any(any(w.er) for w in wire), "tx_er on a good frame"
    assert await tb.counters() == {"TXDROPC": 2, "TXCSKIPC": 0, "TXUNDERC": 0}
    assert await tb.rd("GPTC") == 2
    assert await tb.rd("TPT") == 2
    # the dropped frames' descriptors are done like any other (RS: DD)
    for slot in (slots[0], slots[3], slots[4]):
        assert tb.ram.read(TX_RING + 16 * slot + 12, 1) == b"\x01", f"DD in slot {slot}"
    # the FIFO took the next frame normally
    await tb.post([(small, ends, 14, 0)])
    await tb.drained(5000)
    assert [w.data for w in tb.wire_frames()] == [wire_bytes(small)]
    assert await tb.counters() == {"TXDROPC": 0, "TXCSKIPC": 0, "TXUNDERC": 0}


@cocotb.test()
async def tx_csum_skip_counts_fields_outside_the_frame(dut):
    """IC with CSS >= length or CSO + 2 > length: sent unchanged, counted."""
    tb = TxTb(dut)
    await tb.init()
    f = frame(80, 4)
    ends = CMD_EOP | CMD_IFCS | CMD_IC
    cases = [
        # (css, cso, inserted)
        (14, 24, True),
        (14, 78, True),    # CSO + 2 == length: the last two bytes
        (14, 79, False),   # CSO + 2 > length
        (79, 14, True),    # CSS on the last byte
        (80, 14, False),   # CSS == length
        (255, 255, False),
    ]
    await tb.post([(f, ends, css, cso) for css, cso, _ in cases])
    # a chain: CSS/CSO from the first descriptor, checked against the whole frame
    await tb.post([(f[:40], CMD_IFCS | CMD_IC, 14, 70), (f[40:], CMD_EOP, 0, 0)])
    await tb.post([(f[:40], CMD_EOP | CMD_IFCS | CMD_IC, 14, 70)])
    await tb.drained(20000)
    wire = tb.wire_frames()
    want = [with_csum(f, css, cso) if ok else f for css, cso, ok in cases]
    want += [with_csum(f, 14, 70), f[:40]]
    assert len(wire) == len(want)
    for i, (w, p) in enumerate(zip(wire, want)):
        assert w.data == wire_bytes(p), f"frame {i}"
    assert await tb.counters() == {"TXDROPC": 0, "TXCSKIPC": 4, "TXUNDERC": 0}
    assert await tb.rd("GPTC") == len(want)


@cocotb.test()
async def tx_underrun_counted(dut):
    """The FIFO output emptied mid-frame: one tx_er byte ends it, TXUNDERC counts."""
    tb = TxTb(dut)
    await tb.init()
    f = frame(600, 5)
    ends = CMD_EOP | CMD_IFCS | CMD_RS
    await tb.post([(f, ends, 0, 0)])
    # Wait until 100 data bytes are on the wire, then empty the FIFO's
    # 2-entry output buffer for one clock (its count register).
    await tb.wait_cycles(lambda: int(dut.gmii_tx_en.value), 5000, "tx_en")
    for _ in range(8 + 100):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.tx_fifo_inst.read_buf_inst.cnt_reg.value = 0
    await tb.drained(5000)
    # the next frame goes out whole
    await tb.post([(f, ends, 0, 0)])
    await tb.drained(5000)
    cut, good = tb.wire_frames()
    assert cut.data[:8] == PRE
    n = len(cut.data)
    assert 100 <= n - 9 <= 120, f"cut after {n - 9} data bytes"
    assert cut.er == [0] * (n - 1) + [1], "tx_er on exactly the last byte"
    assert cut.data[8:n - 1] == f[:n - 9], "bytes before the cut"
    assert good.data == wire_bytes(f) and not any(good.er)
    assert await tb.counters() == {"TXDROPC": 0, "TXCSKIPC": 0, "TXUNDERC": 1}
    assert await tb.rd("GPTC") == 1, "the cut frame is not a good frame"
    assert await tb.rd("GOTCL") == len(f) + 4


@cocotb.test()
async def tx_counters_reset_by_ctrl_rst(dut):
    """CTRL.RST clears the counters (like the 8254x statistics)."""
    tb = TxTb(dut)
    await tb.init()
    f = frame(60, 6)
    skipped = (f, CMD_EOP | CMD_IFCS | CMD_IC, 60, 0)
    await tb.post([skipped])
    await tb.drained(5000)
    assert await tb.counters() == {"TXDROPC": 0, "TXCSKIPC": 1, "TXUNDERC": 0}
    await tb.post([skipped, skipped])
    await tb.drained(5000)
    await tb.soft_reset()
    assert await tb.counters() == {"TXDROPC": 0, "TXCSKIPC": 0, "TXUNDERC": 0}
    assert [w.data for w in tb.wire_frames()] == [wire_bytes(f)] * 3


def test_tx_counters(sim):
    run("nic_top", nic_sources(), "test_tx_counters", sim=sim, includes=[RTL], build_args=build_args(sim))
