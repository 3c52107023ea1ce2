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
    }
}

impl HwStats {
    /// Read every clear-on-read counter once and add it to the totals. The
    /// 64-bit octet counters are read low half first: reading the high half
    /// clears both (8254x 13.7.21).
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
