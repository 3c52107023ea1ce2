//! Run configuration: topology and parameters of a scenario, from a small
//! TOML file (`--config`) with command-line flags on top. Every field has a
//! sensible default, unknown keys are errors that name the key, and values
//! are range-checked with a message that says what is wrong.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// Everything a run needs besides the scenario's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Seed of the world's random generator (faults, backpressure, ISNs).
    pub seed: u64,
    /// Upper bound on simulated time, in milliseconds; a run that has not
    /// finished by then fails.
    pub time_limit_ms: u64,
    /// Skip idle cycles when every NIC is quiescent.
    pub fast_forward: bool,
    /// Evaluate both clock edges through Verilator's `eval()`, even where
    /// the model build found the falling edge's evaluation unnecessary
    /// (`sim/csrc/nic_edges.h`): the same results, slower; the reference
    /// the fast edges are tested against.
    pub full_evals: bool,
    pub wire: WireConfig,
    pub nic: NicConfig,
    pub memory: MemoryConfig,
    pub traffic: TrafficConfig,
    pub tcp: TcpSettings,
    pub output: OutputConfig,
}

/// The GMII links between NICs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WireConfig {
    /// Propagation delay in clock cycles (8 ns each).
    pub delay_cycles: u32,
    /// Probability that a frame is dropped on the wire.
    pub loss: f64,
    /// Probability that a frame is delivered twice.
    pub dup: f64,
    /// Probability that a frame is held back behind the next one.
    pub reorder: f64,
    /// Probability that a bit of a frame is flipped (the far MAC's FCS check
    /// drops it and counts it in CRCERRS).
    pub corrupt: f64,
}

/// Driver and NIC settings, as ethtool would set them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NicConfig {
    pub tx_ring: u16,
    pub rx_ring: u16,
    pub mtu: usize,
    /// Interrupt throttling interval in 256 ns units (0: off).
    pub itr: u16,
    /// RX packet timer and absolute timer (1.024 us units).
    pub rdtr: u16,
    pub radv: u16,
    /// Checksum offload in both directions.
    pub checksum_offload: bool,
    /// NAPI budget per poll.
    pub napi_budget: usize,
}

/// The host memory behind each NIC's DMA master.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MemoryConfig {
    /// Cycles from address handshake to first data beat or response.
    pub read_latency: u32,
    pub write_latency: u32,
}

/// Application traffic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrafficConfig {
    /// Bytes sent by `tcp-bulk` (and the demo).
    pub bytes: u64,
    /// Echo requests sent by `ping` (and the demo).
    pub pings: u16,
    /// Datagrams sent by `udp-echo`.
    pub datagrams: u32,
    /// Payload size for `udp-echo`, `tcp-rr`.
    pub size: usize,
    /// Request/response transactions in `tcp-rr`.
    pub transactions: u32,
}

/// TCP options of every host's stack (the rest of `stack::tcp::TcpConfig`
/// keeps its RFC defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TcpSettings {
    /// RFC 7323 timestamps (12 option bytes in every segment).
    pub timestamps: bool,
    /// RFC 2018 selective acknowledgements.
    pub sack: bool,
    /// RFC 7323 window scaling.
    pub window_scaling: bool,
    /// Congestion control: `newreno` or `cubic`.
    pub congestion: Congestion,
    /// Lower bound of the retransmission timeout in milliseconds
    /// (RFC 6298 2.4: 1000; Linux uses 200).
    pub rto_min_ms: u64,
    /// Delayed-ACK timeout in milliseconds (0: ACK every segment at once).
    pub delayed_ack_ms: u64,
}

/// Congestion control algorithm, as named in a config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Congestion {
    Newreno,
    Cubic,
}

impl Default for TcpSettings {
    fn default() -> Self {
        let d = stack::tcp::TcpConfig::default();
        TcpSettings {
            timestamps: d.timestamps,
            sack: d.sack,
            window_scaling: d.window_scaling,
            congestion: match d.congestion {
                stack::tcp::CongestionAlgorithm::Cubic => Congestion::Cubic,
                _ => Congestion::Newreno,
            },
            rto_min_ms: d.rto_min.as_millis(),
            delayed_ack_ms: d.delayed_ack.as_millis(),
        }
    }
}

impl TcpSettings {
    /// Applies these settings to a stack's TCP configuration.
    pub fn apply(&self, c: &mut stack::tcp::TcpConfig) {
        c.timestamps = self.timestamps;
        c.sack = self.sack;
        c.window_scaling = self.window_scaling;
        c.congestion = match self.congestion {
            Congestion::Newreno => stack::tcp::CongestionAlgorithm::NewReno,
            Congestion::Cubic => stack::tcp::CongestionAlgorithm::Cubic,
        };
        c.rto_min = stack::time::Duration::from_millis(self.rto_min_ms);
        c.delayed_ack = stack::time::Duration::from_millis(self.delayed_ack_ms);
    }
}

/// Where results go.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputConfig {
    /// VCD (or FST, by extension) of the first NIC.
    pub vcd: Option<PathBuf>,
    /// Cycle window of the waveform: `START..END` or `first-frame[+CYCLES]`.
    pub vcd_window: Option<String>,
    /// Hierarchy depth of the waveform (0: all).
    pub vcd_depth: u32,
    /// Directory for one pcap per link.
    pub pcap_dir: Option<PathBuf>,
    /// Write the final report as JSON here too.
    pub report_json: Option<PathBuf>,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            seed: 1,
            time_limit_ms: 2_000,
            fast_forward: true,
            full_evals: false,
            wire: WireConfig::default(),
            nic: NicConfig::default(),
            memory: MemoryConfig::default(),
            traffic: TrafficConfig::default(),
            tcp: TcpSettings::default(),
            output: OutputConfig::default(),
        }
    }
}

impl Default for WireConfig {
    fn default() -> Self {
        WireConfig {
            delay_cycles: 4,
            loss: 0.0,
            dup: 0.0,
            reorder: 0.0,
            corrupt: 0.0,
        }
    }
}

impl Default for NicConfig {
    fn default() -> Self {
        NicConfig {
            tx_ring: 256,
            rx_ring: 256,
            mtu: 1500,
            itr: 0,
            rdtr: 0,
            radv: 0,
            checksum_offload: true,
            napi_budget: 64,
        }
    }
}

impl Default for MemoryConfig {
    fn default() -> Self {
        MemoryConfig {
            read_latency: 20,
            write_latency: 20,
        }
    }
}

impl Default for TrafficConfig {
    fn default() -> Self {
        TrafficConfig {
            bytes: 4 << 20,
            pings: 4,
            datagrams: 16,
            size: 512,
            transactions: 100,
        }
    }
}

/// A configuration that cannot be used, with what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    Read { path: PathBuf, reason: String },
    Parse { path: PathBuf, reason: String },
    Invalid { field: &'static str, reason: String },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read { path, reason } => {
                write!(f, "cannot read config {}: {reason}", path.display())
            }
            ConfigError::Parse { path, reason } => {
                write!(f, "bad config {}: {}", path.display(), reason.trim())
            }
            ConfigError::Invalid { field, reason } => write!(f, "invalid {field}: {reason}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// A parsed `--vcd-window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VcdWindow {
    /// Cycles `start..end`.
    Cycles { start: u64, end: u64 },
    /// From the first frame on the wire, for `cycles` cycles.
    FirstFrame { cycles: u64 },
}

impl VcdWindow {
    pub fn parse(s: &str) -> Result<VcdWindow, ConfigError> {
        let bad = |reason: &str| ConfigError::Invalid {
            field: "vcd_window",
            reason: format!("`{s}`: {reason} (expected START..END or first-frame[+CYCLES])"),
        };
        if let Some(rest) = s.strip_prefix("first-frame") {
            let cycles = match rest.strip_prefix('+') {
                Some(n) => n.parse().map_err(|_| bad("bad cycle count"))?,
                None if rest.is_empty() => 20_000,
                None => return Err(bad("unexpected text after first-frame")),
            };
            return Ok(VcdWindow::FirstFrame { cycles });
        }
        let (a, b) = s.split_once("..").ok_or_else(|| bad("no `..`"))?;
        let start: u64 = a.trim().parse().map_err(|_| bad("bad start cycle"))?;
        let end: u64 = b.trim().parse().map_err(|_| bad("bad end cycle"))?;
        if end <= start {
            return Err(bad("end must be after start"));
        }
        Ok(VcdWindow::Cycles { start, end })
    }
}

impl RunConfig {
    /// Read a TOML file; absent keys keep their defaults.
    pub fn load(path: &Path) -> Result<RunConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let cfg: RunConfig = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Check ranges and combinations.
    pub fn validate(&self) -> Result<(), ConfigError> {
        fn prob(field: &'static str, p: f64) -> Result<(), ConfigError> {
            if (0.0..=1.0).contains(&p) {
                Ok(())
            } else {
                Err(ConfigError::Invalid {
                    field,
                    reason: format!("{p} is not a probability in 0..=1"),
                })
            }
        }
        prob("wire.loss", self.wire.loss)?;
        prob("wire.dup", self.wire.dup)?;
        prob("wire.reorder", self.wire.reorder)?;
        prob("wire.corrupt", self.wire.corrupt)?;
        for (field, n) in [
            ("nic.tx_ring", self.nic.tx_ring),
            ("nic.rx_ring", self.nic.rx_ring),
        ] {
            // 8254x: ring length is a multiple of 128 bytes = 8 descriptors.
            if n < 8 || n % 8 != 0 {
                return Err(ConfigError::Invalid {
                    field,
                    reason: format!("{n} descriptors: must be a multiple of 8, at least 8"),
                });
            }
        }
        if !(68..=9000).contains(&self.nic.mtu) {
            return Err(ConfigError::Invalid {
                field: "nic.mtu",
                reason: format!("{} is outside 68..=9000", self.nic.mtu),
            });
        }
        if self.nic.napi_budget == 0 {
            return Err(ConfigError::Invalid {
                field: "nic.napi_budget",
                reason: "must be at least 1".into(),
            });
        }
        if self.time_limit_ms == 0 {
            return Err(ConfigError::Invalid {
                field: "time_limit_ms",
                reason: "must be at least 1".into(),
            });
        }
        // RFC 6298 2.4 allows a smaller minimum than 1 s; below the
        // delayed-ACK timeout it fires spuriously, and beyond the maximum
        // (60 s) it is meaningless.
        if !(1..=60_000).contains(&self.tcp.rto_min_ms) {
            return Err(ConfigError::Invalid {
                field: "tcp.rto_min_ms",
                reason: format!("{} is outside 1..=60000", self.tcp.rto_min_ms),
            });
        }
        if self.tcp.delayed_ack_ms >= 500 {
            return Err(ConfigError::Invalid {
                field: "tcp.delayed_ack_ms",
                reason: format!(
                    "{} ms: RFC 9293 3.8.6.3 requires less than 500",
                    self.tcp.delayed_ack_ms
                ),
            });
        }
        if let Some(w) = &self.output.vcd_window {
            VcdWindow::parse(w)?;
        }
        Ok(())
    }

    pub fn vcd_window(&self) -> Option<VcdWindow> {
        self.output
            .vcd_window
            .as_deref()
            .and_then(|w| VcdWindow::parse(w).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        RunConfig::default().validate().unwrap();
    }

    #[test]
    fn tcp_section_parses_and_applies() {
        let cfg: RunConfig =
            toml::from_str("[tcp]\ntimestamps = false\ncongestion = \"cubic\"\nrto_min_ms = 200\n")
                .unwrap();
        cfg.validate().unwrap();
        let mut t = stack::tcp::TcpConfig::default();
        cfg.tcp.apply(&mut t);
        assert!(!t.timestamps);
        assert!(t.sack);
        assert_eq!(t.congestion, stack::tcp::CongestionAlgorithm::Cubic);
        assert_eq!(t.rto_min, stack::time::Duration::from_millis(200));
        let e = toml::from_str::<RunConfig>("[tcp]\ncongestion = \"vegas\"\n").unwrap_err();
        assert!(e.to_string().contains("vegas"), "{e}");
        let mut bad = RunConfig::default();
        bad.tcp.rto_min_ms = 0;
        let e = bad.validate().unwrap_err();
        assert!(e.to_string().contains("tcp.rto_min_ms"), "{e}");
    }

    #[test]
    fn unknown_key_is_named() {
        let err = toml::from_str::<RunConfig>("[wire]\nlosss = 0.1\n").unwrap_err();
        assert!(err.to_string().contains("losss"), "{err}");
    }

    #[test]
    fn partial_file_keeps_defaults() {
        let cfg: RunConfig = toml::from_str("seed = 7\n[wire]\nloss = 0.01\n").unwrap();
        assert_eq!(cfg.seed, 7);
        assert_eq!(cfg.wire.loss, 0.01);
        assert_eq!(cfg.wire.delay_cycles, WireConfig::default().delay_cycles);
        assert_eq!(cfg.nic, NicConfig::default());
    }

    #[test]
    fn ranges_are_checked() {
        let mut cfg = RunConfig::default();
        cfg.wire.loss = 1.5;
        let e = cfg.validate().unwrap_err();
        assert!(e.to_string().contains("wire.loss"), "{e}");
        let mut cfg = RunConfig::default();
        cfg.nic.rx_ring = 12;
        assert!(
            cfg.validate()
                .unwrap_err()
                .to_string()
                .contains("nic.rx_ring")
        );
    }

    #[test]
    fn vcd_windows() {
        assert_eq!(
            VcdWindow::parse("100..200").unwrap(),
            VcdWindow::Cycles {
                start: 100,
                end: 200
            }
        );
        assert_eq!(
            VcdWindow::parse("first-frame+5000").unwrap(),
            VcdWindow::FirstFrame { cycles: 5000 }
        );
        assert!(VcdWindow::parse("200..100").is_err());
        assert!(VcdWindow::parse("soon").is_err());
    }
}
