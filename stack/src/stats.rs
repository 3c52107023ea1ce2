//! Counters: every received frame ends either consumed (handled by some
//! layer) or dropped with exactly one [`DropReason`], so that
//! `rx_frames == rx_consumed + sum(rx_drops)` always holds. Transmit-side
//! drops are counted separately.

use core::fmt;

macro_rules! drop_reasons {
    ($($name:ident => $text:literal,)*) => {
        /// Why a packet was dropped. The name of each variant is what the
        /// counters and reports show.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum DropReason {
            $($name,)*
        }

        impl DropReason {
            /// Every reason, in declaration order (the counter index).
            pub const ALL: &'static [DropReason] = &[$(DropReason::$name,)*];

            pub fn name(self) -> &'static str {
                match self {
                    $(DropReason::$name => $text,)*
                }
            }
        }
    };
}

drop_reasons! {
    // Link layer.
    EthTruncated => "eth-truncated",
    EthOversize => "eth-oversize",
    EthOtherHost => "eth-other-host",
    EthUnknownType => "eth-unknown-ethertype",
    // ARP (RFC 826).
    ArpTruncated => "arp-truncated",
    ArpUnsupported => "arp-unsupported-type",
    ArpBadOperation => "arp-bad-operation",
    ArpBadSource => "arp-bad-source",
    ArpNotForUs => "arp-not-for-us",
    // IPv4 validation (RFC 791, RFC 1122 3.2.1).
    Ipv4Truncated => "ipv4-truncated",
    Ipv4BadVersion => "ipv4-bad-version",
    Ipv4BadHeaderLen => "ipv4-bad-header-len",
    Ipv4BadTotalLen => "ipv4-bad-total-len",
    Ipv4BadChecksum => "ipv4-bad-checksum",
    Ipv4BadSource => "ipv4-bad-source",
    Ipv4Multicast => "ipv4-multicast",
    Ipv4NotForUs => "ipv4-not-for-us",
    Ipv4LinkBroadcast => "ipv4-link-broadcast-not-forwarded",
    Ipv4TtlExpired => "ipv4-ttl-expired",
    Ipv4NoRoute => "ipv4-no-route",
    Ipv4UnknownProtocol => "ipv4-unknown-protocol",
    // Fragmentation and reassembly (RFC 791, RFC 815, RFC 5722 style).
    FragMalformed => "frag-malformed",
    FragOverlap => "frag-overlap",
    FragDuplicate => "frag-duplicate",
    FragMemory => "frag-memory-limit",
    FragNeeded => "frag-needed-df",
    // ICMP (RFC 792).
    IcmpTruncated => "icmp-truncated",
    IcmpBadChecksum => "icmp-bad-checksum",
    IcmpUnsupported => "icmp-unsupported",
    IcmpMalformed => "icmp-malformed",
    IcmpBroadcastEcho => "icmp-broadcast-echo",
    IcmpUnsolicited => "icmp-unsolicited",
    // UDP (RFC 768) and the transport hook.
    UdpTruncated => "udp-truncated",
    UdpMalformed => "udp-malformed",
    UdpBadChecksum => "udp-bad-checksum",
    UdpNoSocket => "udp-no-socket",
    UdpQueueFull => "udp-queue-full",
    TransportBadChecksum => "transport-bad-checksum",
    TransportTruncated => "transport-truncated",
    // Transmit side.
    NeighborQueueFull => "neigh-queue-full",
    NeighborFailed => "neigh-failed",
    NeighborTableFull => "neigh-table-full",
    TxQueueFull => "tx-queue-full",
    TxNoAddress => "tx-no-source-address",
    TxTooLarge => "tx-too-large",
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The stack's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Frames taken from devices.
    pub rx_frames: u64,
    /// Received frames some layer handled (delivered, answered, forwarded,
    /// queued for reassembly).
    pub rx_consumed: u64,
    rx_drops: Vec<u64>,
    tx_drops: Vec<u64>,
    /// Frames handed to devices.
    pub tx_frames: u64,
    /// Datagrams forwarded to another interface or next hop.
    pub forwarded: u64,
    /// Datagrams delivered locally after reassembly.
    pub reassembled: u64,
    /// Reassemblies abandoned after the timeout.
    pub reasm_timeouts: u64,
    /// Reassemblies evicted to stay within the memory limit.
    pub reasm_evicted: u64,
    /// Fragments emitted by the output path.
    pub fragments_sent: u64,
    /// Checksums left to the device (offload) versus computed in software.
    pub tx_csum_offloaded: u64,
    pub tx_csum_software: u64,
    /// Received L4 checksums verified from the device's sum versus in
    /// software.
    pub rx_csum_hardware: u64,
    pub rx_csum_software: u64,
    /// Route cache hits and misses.
    pub route_cache_hits: u64,
    pub route_cache_misses: u64,
    /// ICMP errors sent.
    pub icmp_errors_sent: u64,
    /// ICMP errors suppressed by the rate limit.
    pub icmp_errors_ratelimited: u64,
    /// Pcap records that failed to write.
    pub pcap_errors: u64,
}

impl Default for Stats {
    fn default() -> Stats {
        Stats {
            rx_frames: 0,
            rx_consumed: 0,
            rx_drops: vec![0; DropReason::ALL.len()],
            tx_drops: vec![0; DropReason::ALL.len()],
            tx_frames: 0,
            forwarded: 0,
            reassembled: 0,
            reasm_timeouts: 0,
            reasm_evicted: 0,
            fragments_sent: 0,
            tx_csum_offloaded: 0,
            tx_csum_software: 0,
            rx_csum_hardware: 0,
            rx_csum_software: 0,
            route_cache_hits: 0,
            route_cache_misses: 0,
            icmp_errors_sent: 0,
            icmp_errors_ratelimited: 0,
            pcap_errors: 0,
        }
    }
}

impl Stats {
    pub fn rx_drop(&self, reason: DropReason) -> u64 {
        self.rx_drops[reason as usize]
    }
    pub fn tx_drop(&self, reason: DropReason) -> u64 {
        self.tx_drops[reason as usize]
    }
    pub fn rx_drops_total(&self) -> u64 {
        self.rx_drops.iter().sum()
    }
    pub fn tx_drops_total(&self) -> u64 {
        self.tx_drops.iter().sum()
    }
    pub(crate) fn count_rx_drop(&mut self, reason: DropReason) {
        self.rx_drops[reason as usize] += 1;
    }
    pub(crate) fn count_tx_drop(&mut self, reason: DropReason) {
        self.tx_drops[reason as usize] += 1;
    }
    /// Non-zero receive drop counters, for reports.
    pub fn rx_drops(&self) -> impl Iterator<Item = (DropReason, u64)> + '_ {
        DropReason::ALL
            .iter()
            .map(|r| (*r, self.rx_drops[*r as usize]))
            .filter(|(_, n)| *n != 0)
    }
    /// Non-zero transmit drop counters, for reports.
    pub fn tx_drops(&self) -> impl Iterator<Item = (DropReason, u64)> + '_ {
        DropReason::ALL
            .iter()
            .map(|r| (*r, self.tx_drops[*r as usize]))
            .filter(|(_, n)| *n != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_indices_match() {
        let mut names: Vec<_> = DropReason::ALL.iter().map(|r| r.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), DropReason::ALL.len());
        for (i, r) in DropReason::ALL.iter().enumerate() {
            assert_eq!(*r as usize, i);
        }
        let mut s = Stats::default();
        s.count_rx_drop(DropReason::UdpNoSocket);
        s.count_rx_drop(DropReason::UdpNoSocket);
        assert_eq!(s.rx_drop(DropReason::UdpNoSocket), 2);
        assert_eq!(
            s.rx_drops().collect::<Vec<_>>(),
            vec![(DropReason::UdpNoSocket, 2)]
        );
        assert_eq!(s.tx_drops_total(), 0);
    }
}
