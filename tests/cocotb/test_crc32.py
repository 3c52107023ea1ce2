"""CRC-32 step function (rtl/crc32_8.v) against Python's zlib.crc32."""

from __future__ import annotations

import random
import zlib

import cocotb
from cocotb.triggers import Timer

from cocotb_run import RTL, run

RESIDUE = 0xDEBB20E3  # register value after a frame plus its correct FCS


async def _feed(dut, crc: int, data: bytes) -> int:
    for b in data:
        dut.crc_in.value = crc
        dut.data_in.value = b
        await Timer(1, "ns")
        crc = int(dut.crc_out.value)
    return crc


@cocotb.test()
async def crc_matches_zlib(dut):
    """Random messages (seeded) and edge bytes give zlib's CRC-32."""
    rng = random.Random(0x3C2C)
    cases = [b"", b"\x00", b"\xff", b"123456789", bytes(range(256))]
    cases += [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80))) for _ in range(40)]
    for msg in cases:
        crc = await _feed(dut, 0xFFFFFFFF, msg)
        assert crc ^ 0xFFFFFFFF == zlib.crc32(msg), f"msg {msg.hex()}"
    # The check value of CRC-32 (the catalogue's "123456789" test).
    assert zlib.crc32(b"123456789") == 0xCBF43926


@cocotb.test()
async def crc_residue_over_fcs(dut):
    """Feeding a frame plus its FCS (LSB first) leaves the fixed residue."""
    rng = random.Random(77)
    for _ in range(20):
        msg = bytes(rng.randrange(256) for _ in range(rng.randrange(14, 100)))
        fcs = zlib.crc32(msg).to_bytes(4, "little")
        crc = await _feed(dut, 0xFFFFFFFF, msg + fcs)
        assert crc == RESIDUE
        bad = bytearray(msg + fcs)
        bad[rng.randrange(len(bad))] ^= 1 << rng.randrange(8)
        crc = await _feed(dut, 0xFFFFFFFF, bytes(bad))
        assert crc != RESIDUE


def test_crc32(sim):
    run("crc32_8", [RTL / "crc32_8.v"], "test_crc32", sim=sim)
