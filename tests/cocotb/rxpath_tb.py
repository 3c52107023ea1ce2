"""Testbench for tb_mac_rx_path.v (mac_rx_gmii -> rx_filter -> rx_fifo),
shared by test_mac_rx_fifo.py and test_rx_filter.py."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

import cocotb
from cocotb.triggers import RisingEdge
from cocotbext.eth import GmiiFrame, GmiiSource

from cocotb_run import RTL
from tbutil import PulseCounter, fcs, start, wait_until

SOURCES = [
    RTL / "crc32_8.v",
    RTL / "mac_rx_gmii.v",
    RTL / "rx_filter.v",
    RTL / "fifo_read_buf.v",
    RTL / "rx_fifo.v",
    "tests/cocotb/tb_mac_rx_path.v",
]
TOPLEVEL = "tb_mac_rx_path"
DEPTH = 4096
RA_ENTRIES = 16
PARAMS = {"DEPTH": DEPTH, "RA_ENTRIES": RA_ENTRIES}

STATS = (
    "total",
    "good",
    "bcast",
    "mcast",
    "crc_err",
    "er",
    "runt",
    "oversize",
    "missed",
)

OUR_MAC = bytes.fromhex("02aabbccdd01")
BCAST = b"\xff" * 6


def mac_int(mac: bytes) -> int:
    """48-bit value as RAL/RAH hold it: byte 0 in bits 7:0."""
    return int.from_bytes(mac, "little")


def mta_hash(mac: bytes, mo: int) -> int:
    """8254x SDM 13.5.1: 12 bits of the destination address chosen by MO."""
    da = mac_int(mac)
    shift = {0: 36, 1: 35, 2: 34, 3: 32}[mo]
    return (da >> shift) & 0xFFF


def make_frame(dst: bytes, n: int, rng: random.Random, src: bytes = OUR_MAC) -> bytes:
    """Frame of n bytes including FCS (n >= 18), random payload."""
    body = dst + src + b"\x08\x00" + bytes(rng.randrange(256) for _ in range(n - 18))
    return body + fcs(body)


@dataclass
class RxFrame:
    data: bytes
    length: int
    csum: int
    status: int
    errors: int


class RxPathTB:
    def __init__(self, dut, ready_prob: float = 1.0, seed: int = 1):
        self.dut = dut
        self.log = logging.getLogger("cocotb.tb")
        self.rng = random.Random(seed)
        self.ready_prob = ready_prob
        self.hold = False
        self.frames: list[RxFrame] = []
        self.source = GmiiSource(dut.gmii_rxd, dut.gmii_rx_er, dut.gmii_rx_dv, dut.clk)
        self.source.log.setLevel(logging.WARNING)
        dut.m_axis_tready.value = 0
        dut.cfg_rx_en.value = 1
        dut.cfg_sbp.value = 0
        dut.cfg_secrc.value = 0
        dut.cfg_lpe.value = 0
        dut.cfg_pcss.value = 14
        dut.cfg_bam.value = 1
        dut.cfg_mo.value = 0
        dut.cfg_upe.value = 0
        dut.cfg_mpe.value = 0
        dut.flush.value = 0
        dut.mta_wr_en.value = 0
        dut.mta_wr_addr.value = 0
        dut.mta_wr_data.value = 0
        self.ra = [(OUR_MAC, True)] + [(bytes(6), False)] * (RA_ENTRIES - 1)
        self.set_ra()
        self.stats = {
            name: PulseCounter(dut, getattr(dut, f"stat_rx_{name}"))
            for name in STATS
        }
        self.bytes = PulseCounter(dut, dut.stat_rx_good, dut.stat_rx_good_bytes)

    def set_ra(self) -> None:
        addr = 0
        valid = 0
        for i, (mac, av) in enumerate(self.ra):
            addr |= mac_int(mac) << (48 * i)
            valid |= int(av) << i
        self.dut.cfg_ra_addr.value = addr
        self.dut.cfg_ra_valid.value = valid

    async def start(self) -> None:
        await start(self.dut)
        cocotb.start_soon(self._sink())

    async def write_mta(self, words: dict[int, int]) -> None:
        """Write MTA registers (index -> 32-bit value); others untouched."""
        for idx, val in words.items():
            self.dut.mta_wr_en.value = 1
            self.dut.mta_wr_addr.value = idx
            self.dut.mta_wr_data.value = val
            await RisingEdge(self.dut.clk)
        self.dut.mta_wr_en.value = 0
        await RisingEdge(self.dut.clk)

    def counts(self) -> dict[str, int]:
        return {k: v.count for k, v in self.stats.items()}

    def send(self, frame: bytes, preamble: int = 7, error_at: int | None = None) -> None:
        """Queue a frame (bytes incl. FCS) with `preamble` 0x55 bytes + SFD;
        error_at: index in the frame (after SFD) where rx_er is raised."""
        raw = b"\x55" * preamble + b"\xd5" + frame
        err = None
        if error_at is not None:
            err = [0] * len(raw)
            err[preamble + 1 + error_at] = 1
        self.source.send_nowait(GmiiFrame(raw, err))

    async def settle(self, limit: int = 200000) -> None:
        """Wait until the source is idle and the MAC and FIFO are drained
        (the FIFO only drains when the sink takes beats)."""
        dut = self.dut
        await wait_until(dut, lambda: self.source.empty() and not self.source.active, limit, "GMII source idle")
        await wait_until(dut, lambda: not int(dut.mac_busy.value), 100, "MAC idle")
        for _ in range(4):
            await RisingEdge(dut.clk)
        if not self.hold:
            await wait_until(dut, lambda: int(dut.empty.value) == 1, limit, "FIFO empty")
            for _ in range(4):
                await RisingEdge(dut.clk)

    async def _sink(self) -> None:
        """64-bit AXI-Stream sink with seeded random tready; checks tkeep
        packing and that the per-frame info is stable over the frame."""
        dut = self.dut
        cur = bytearray()
        info = None
        while True:
            ready = (not self.hold) and self.rng.random() < self.ready_prob
            dut.m_axis_tready.value = int(ready)
            await RisingEdge(dut.clk)
            if not (ready and int(dut.m_axis_tvalid.value)):
                continue
            keep = int(dut.m_axis_tkeep.value)
            last = int(dut.m_axis_tlast.value)
            data = int(dut.m_axis_tdata.value).to_bytes(8, "little")
            now = (
                int(dut.m_frame_len.value),
                int(dut.m_frame_csum.value),
                int(dut.m_frame_status.value),
                int(dut.m_frame_errors.value),
            )
            if info is None:
                info = now
            assert now == info, f"frame info changed inside a frame: {info} -> {now}"
            if not last:
                assert keep == 0xFF, f"partial beat 0x{keep:02x} before tlast"
            nbytes = bin(keep).count("1")
            assert keep == (1 << nbytes) - 1, f"tkeep 0x{keep:02x} not packed from lane 0"
            cur += data[:nbytes]
            if last:
                self.frames.append(RxFrame(bytes(cur), *info))
                assert len(cur) == info[0], f"delivered {len(cur)} bytes, m_frame_len {info[0]}"
                cur = bytearray()
                info = None
