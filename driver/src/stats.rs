//! Statistics: 64-bit totals of the NIC's clear-on-read counters (8254x
//! 13.7), accumulated by the driver each time it reads them, plus the
//! driver's own counters, as `ethtool -S` shows both.

use crate::hal::RegisterAccess;
use crate::regs::reg;

macro_rules! counters {
    ($(#[$m:meta])* pub struct $ty:ident { $( $name:ident: $doc:literal, )* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $ty {
            $( #[doc = $doc] pub $name: u64, )*
        }

        impl $ty {
            /// Every counter with its name, for reports.
            pub fn entries(&self) -> Vec<(&'static str, u64)> {
                vec![ $( (stringify!($name), self.$name), )* ]
            }
        }
    };
}

counters! {
    /// Hardware statistics registers as 64-bit totals since probe.
    pub struct HwStats {
        crcerrs: "CRCERRS: frames received with a bad FCS",
        rxerrc: "RXERRC: frames received with GMII rx_er",
        mpc: "MPC: frames missed (no descriptor, FIFO full)",
        gprc: "GPRC: good frames received",
        bprc: "BPRC: broadcast frames received",
        mprc: "MPRC: multicast frames received",
        gptc: "GPTC: good frames transmitted",
        gorc: "GORC: good octets received",
        gotc: "GOTC: good octets transmitted",
        rnbc: "RNBC: receive attempts with no descriptor",
        ruc: "RUC: undersize frames received",
        roc: "ROC: oversize frames received",
        tpr: "TPR: total frames received",
        tpt: "TPT: total frames transmitted",
        txdropc: "TXDROPC (ours): TX frames longer than the TX FIFO, dropped by the NIC",
        txcskipc: "TXCSKIPC (ours): TX frames whose checksum insertion was skipped (CSS/CSO outside the frame)",
        txunderc: "TXUNDERC (ours): TX underruns (frame cut short with tx_er)",
    }
}

impl HwStats {
    /// Read every clear-on-read counter once and add it to the totals. The
    /// 64-bit octet counters are read low half first: the low read latches
    /// the high half and restarts the count, the high read returns the latch
    /// (8254x 13.7.21, docs/regmap.md), so octets counted between the two
    /// reads show in the next accumulation.
    pub fn accumulate<R: RegisterAccess>(&mut self, regs: &mut R) {
        // Values come from the device: add without trusting them to stay
        // small (a failing bus reads all ones).
        let mut rd = |off| u64::from(regs.read32(off));
        let add = |total: &mut u64, v: u64| *total = total.saturating_add(v);
        add(&mut self.crcerrs, rd(reg::CRCERRS));
        add(&mut self.rxerrc, rd(reg::RXERRC));
        add(&mut self.mpc, rd(reg::MPC));
        add(&mut self.gprc, rd(reg::GPRC));
        add(&mut self.bprc, rd(reg::BPRC));
        add(&mut self.mprc, rd(reg::MPRC));
        add(&mut self.gptc, rd(reg::GPTC));
        let lo = rd(reg::GORCL);
        add(&mut self.gorc, lo | (rd(reg::GORCH) << 32));
        let lo = rd(reg::GOTCL);
        add(&mut self.gotc, lo | (rd(reg::GOTCH) << 32));
        add(&mut self.rnbc, rd(reg::RNBC));
        add(&mut self.ruc, rd(reg::RUC));
        add(&mut self.roc, rd(reg::ROC));
        add(&mut self.tpr, rd(reg::TPR));
        add(&mut self.tpt, rd(reg::TPT));
        add(&mut self.txdropc, rd(reg::TXDROPC));
        add(&mut self.txcskipc, rd(reg::TXCSKIPC));
        add(&mut self.txunderc, rd(reg::TXUNDERC));
    }
}

counters! {
    /// What the driver itself counts.
    pub struct DriverStats {
        tx_packets: "frames whose transmission the NIC reported done",
        tx_bytes: "bytes of those frames (without FCS)",
        tx_descriptors: "TX descriptors filled",
        tx_doorbells: "TDT writes",
        tx_busy: "transmit calls refused because the ring was full or the queue stopped",
        tx_queue_stops: "times the TX queue was stopped for lack of descriptors",
        tx_queue_wakes: "times TX cleanup woke the stopped queue",
        tx_csum_offload: "frames sent with IC (checksum insertion by the NIC)",
        tx_csum_software: "checksum requests the NIC cannot express (CSS/CSO beyond 255), done in software",
        tx_dropped_invalid: "frames dropped before the ring: empty, shorter than a header, or a bad checksum request",
        tx_dropped_too_big: "frames dropped before the ring: longer than MTU plus header",
        tx_dropped_map: "frames dropped before the ring: no DMA mapping",
        tx_dropped_reset: "frames in the TX ring lost to a reset",
        tx_timeouts: "TX watchdog expirations",
        rx_packets: "frames delivered to the stack queue",
        rx_bytes: "bytes of those frames",
        rx_descriptors: "RX descriptors cleaned",
        rx_csum: "frames delivered with the NIC's checksum (CHECKSUM_COMPLETE)",
        rx_alloc_fail: "RX buffer mappings that failed at refill",
        rx_dropped_length: "frames with a descriptor length of 0 or beyond the buffer",
        rx_dropped_errors: "frames with CE or RXE set (only with SBP)",
        rx_dropped_oversize: "chained frames longer than the largest frame",
        rx_dropped_backlog: "frames dropped because the stack queue was full",
        rx_dropped_reset: "partly received frames lost to a reset",
        rx_dropped_dma: "frames whose buffer the CPU could not read",
        rx_overruns: "RXO interrupts (frames the NIC dropped for lack of descriptors)",
        rx_descriptor_low: "RXDMT0 interrupts",
        interrupts: "interrupts handled (ICR non-zero)",
        interrupts_spurious: "interrupt handler calls that found ICR zero",
        napi_polls: "NAPI poll calls",
        napi_complete: "polls that finished under budget and re-enabled interrupts",
        busy_polls: "busy-poll calls (no interrupts)",
        link_changes: "link state changes seen",
        dma_errors: "DMA error interrupts",
        rx_stopped_seen: "watchdog runs that found STATUS.RXSTOP (a bus error whose interrupt was lost)",
        resets: "NIC resets after probe, all reasons",
        resets_dma_error: "resets after a DMA error",
        resets_tx_timeout: "resets by the TX watchdog",
        resets_reconfigure: "resets to apply ring size or MTU changes",
        resets_bad_device: "resets after the NIC reported an impossible value (head outside the ring)",
        reset_failures: "resets whose bounded wait for CTRL.RST expired",
    }
}

/// Both sets, as [`crate::Nic::stats`] returns them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    pub hw: HwStats,
    pub driver: DriverStats,
}

impl Stats {
    /// Every counter, hardware ones prefixed `hw_`.
    pub fn entries(&self) -> Vec<(String, u64)> {
        self.hw
            .entries()
            .into_iter()
            .map(|(n, v)| (format!("hw_{n}"), v))
            .chain(
                self.driver
                    .entries()
                    .into_iter()
                    .map(|(n, v)| (n.to_string(), v)),
            )
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regs::{Access, REGISTERS};
    use std::collections::BTreeMap;

    /// Registers as a map; read-clear registers clear on read, every read
    /// is logged.
    #[derive(Default)]
    struct Regs {
        v: BTreeMap<u32, u32>,
        reads: Vec<u32>,
    }

    impl RegisterAccess for Regs {
        fn read32(&mut self, offset: u32) -> u32 {
            self.reads.push(offset);
            let rc = REGISTERS
                .iter()
                .any(|r| r.offset == offset && r.access == Access::ReadClear);
            let v = self.v.get(&offset).copied().unwrap_or(0);
            if rc {
                self.v.remove(&offset);
            }
            v
        }
        fn write32(&mut self, offset: u32, value: u32) {
            self.v.insert(offset, value);
        }
    }

    #[test]
    fn our_tx_counters_accumulate_and_every_rc_counter_is_read() {
        let mut r = Regs::default();
        let mut s = HwStats::default();
        for round in 1..=3u64 {
            r.v.insert(reg::TXDROPC, 2);
            r.v.insert(reg::TXCSKIPC, 0xffff_ffff);
            r.v.insert(reg::TXUNDERC, 1);
            s.accumulate(&mut r);
            assert_eq!(s.txdropc, 2 * round);
            assert_eq!(s.txcskipc, 0xffff_ffff * round, "no 32-bit wrap");
            assert_eq!(s.txunderc, round);
        }
        assert!(r.v.is_empty(), "every counter read (and cleared)");
        // Every read-clear register but ICR is a counter the driver reads.
        for d in REGISTERS.iter().filter(|d| d.access == Access::ReadClear) {
            assert_eq!(
                r.reads.contains(&d.offset),
                d.name != "ICR",
                "{} read by accumulate",
                d.name
            );
        }
        let names: Vec<&str> = s.entries().iter().map(|(n, _)| *n).collect();
        for n in ["txdropc", "txcskipc", "txunderc"] {
            assert!(names.contains(&n), "{n} reported");
        }
    }

    #[test]
    fn octet_low_half_read_before_high_half() {
        let mut r = Regs::default();
        let mut s = HwStats::default();
        s.accumulate(&mut r);
        let pos = |o| r.reads.iter().position(|&x| x == o).unwrap();
        assert!(pos(reg::GORCL) < pos(reg::GORCH));
        assert!(pos(reg::GOTCL) < pos(reg::GOTCH));
    }
}
