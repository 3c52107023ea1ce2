"""rx_filter through the receive path (tb_mac_rx_path.v): exact entries and
AV, BAM, the MTA hash for MO 0..3 against a Python reference (8254x SDM
13.5.1), UPE, MPE, and the PIF status bit."""

from __future__ import annotations

import random

import cocotb

from cocotb_run import run
from rxpath_tb import (
    BCAST,
    OUR_MAC,
    PARAMS,
    RA_ENTRIES,
    SOURCES,
    TOPLEVEL,
    RxPathTB,
    make_frame,
    mta_hash,
)

PIF = 0x80


def rand_mac(rng: random.Random, group: bool) -> bytes:
    b = bytearray(rng.randrange(256) for _ in range(6))
    b[0] = (b[0] & 0xFE) | int(group)
    if bytes(b) == BCAST:
        b[5] = 0
    return bytes(b)


async def deliver(tb: RxPathTB, dsts: list[bytes], rng: random.Random) -> list[bool]:
    """Send one frame per destination; return which ones were delivered."""
    tb.frames.clear()
    frames = [make_frame(d, 64 + rng.randrange(40), rng) for d in dsts]
    for f in frames:
        tb.send(f)
    await tb.settle()
    got = [f.data for f in tb.frames]
    out = [f in got for f in frames]
    # Delivered frames come out in order and nothing else comes out.
    assert got == [f for f, ok in zip(frames, out) if ok]
    return out


@cocotb.test()
async def exact_entries_and_av(dut):
    """All 16 RAL/RAH entries match exactly when AV is set, never without."""
    tb = RxPathTB(dut, seed=1)
    await tb.start()
    rng = random.Random(101)
    macs = [rand_mac(rng, group=(i % 5 == 4)) for i in range(RA_ENTRIES)]
    tb.ra = [(m, i % 3 != 1) for i, m in enumerate(macs)]
    tb.set_ra()
    dut.cfg_bam.value = 0
    others = [rand_mac(rng, group=False) for _ in range(4)]
    near = bytearray(macs[0])
    near[5] ^= 0x01  # one bit off an enabled entry
    got = await deliver(tb, macs + others + [bytes(near)], rng)
    assert got == [i % 3 != 1 for i in range(RA_ENTRIES)] + [False] * 5
    # Exact matches never carry PIF.
    assert all(f.status & PIF == 0 for f in tb.frames)
    assert tb.stats["mcast"].count == sum(1 for i in range(RA_ENTRIES) if i % 5 == 4 and i % 3 != 1)


@cocotb.test()
async def broadcast_accept_mode(dut):
    """BAM accepts broadcast; without BAM it is dropped (MTA empty, no MPE)."""
    tb = RxPathTB(dut, seed=2)
    await tb.start()
    rng = random.Random(202)
    dut.cfg_bam.value = 1
    assert await deliver(tb, [BCAST, OUR_MAC], rng) == [True, True]
    assert tb.stats["bcast"].count == 1 and tb.stats["mcast"].count == 0
    dut.cfg_bam.value = 0
    assert await deliver(tb, [BCAST, OUR_MAC], rng) == [False, True]
    assert tb.stats["bcast"].count == 1
    assert tb.stats["total"].count == 4 and tb.stats["good"].count == 3


@cocotb.test()
async def multicast_hash_all_mo(dut):
    """For each MO, a group address passes when its MTA bit is set, with PIF;
    addresses whose hash differs are dropped."""
    tb = RxPathTB(dut, seed=3)
    await tb.start()
    rng = random.Random(303)
    dut.cfg_bam.value = 0
    for mo in range(4):
        dut.cfg_mo.value = mo
        wanted = [rand_mac(rng, group=True) for _ in range(3)]
        hashes = {mta_hash(m, mo) for m in wanted}
        words: dict[int, int] = {}
        for h in hashes:
            words[h >> 5] = words.get(h >> 5, 0) | (1 << (h & 31))
        await tb.write_mta(words)
        misses = []
        while len(misses) < 3:
            m = rand_mac(rng, group=True)
            if mta_hash(m, mo) not in hashes:
                misses.append(m)
        got = await deliver(tb, wanted + misses, rng)
        assert got == [True] * 3 + [False] * 3, f"MO {mo}: {got}"
        assert all(f.status & PIF for f in tb.frames), f"MO {mo}: PIF"
        # Clear the bits again for the next MO.
        await tb.write_mta({k: 0 for k in words})
    # The reference itself on 01:AA:00:12:34:56, worked by hand from the
    # Figure 13-2 bit slices of the 48-bit little-endian value.
    ex = bytes.fromhex("01aa00123456")
    assert [mta_hash(ex, mo) for mo in range(4)] == [0x563, 0xAC6, 0x58D, 0x634]


@cocotb.test()
async def promiscuous_modes(dut):
    """UPE takes every unicast (not group) address, MPE every group address
    (not unicast); both together take everything."""
    tb = RxPathTB(dut, seed=4)
    await tb.start()
    rng = random.Random(404)
    dut.cfg_bam.value = 0
    uni = [rand_mac(rng, group=False) for _ in range(3)]
    multi = [rand_mac(rng, group=True) for _ in range(3)]
    dut.cfg_upe.value = 1
    assert await deliver(tb, uni + multi, rng) == [True] * 3 + [False] * 3
    assert all(f.status & PIF == 0 for f in tb.frames)
    dut.cfg_upe.value = 0
    dut.cfg_mpe.value = 1
    assert await deliver(tb, uni + multi + [BCAST], rng) == [False] * 3 + [True] * 4
    assert all(f.status & PIF == 0 for f in tb.frames)
    dut.cfg_upe.value = 1
    assert await deliver(tb, uni + multi, rng) == [True] * 6
    assert tb.stats["mcast"].count == 6 and tb.stats["bcast"].count == 1


def test_rx_filter(sim):
    run(TOPLEVEL, SOURCES, "test_rx_filter", parameters=PARAMS, sim=sim)
