//! `nicsim vcd`: decoding and rule checks on hand-made dumps written cycle
//! by cycle with `vcdtool::synth` (the `vcd` crate's writer).
#![allow(clippy::unwrap_used)]

use std::io::Cursor;

use clap::Parser;
use nicsim::vcdtool::synth::{ChangeOrder, SynthConfig, SynthVcd, random_frame};
use nicsim::vcdtool::{
    BurstKind, Dir, Event, Frame, Options, Port, Resp, Rule, Selection, VcdArgs, VcdError,
    Violation, analyze, check_reader, run_vcd,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

type Synth<'a> = SynthVcd<&'a mut Vec<u8>>;

fn dump(cfg: &SynthConfig, body: impl FnOnce(&mut Synth<'_>)) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut s = SynthVcd::new(&mut buf, cfg).unwrap();
    s.ticks_n(2).unwrap();
    s.drive("rst", 0).unwrap();
    s.tick().unwrap();
    body(&mut s);
    s.ticks_n(3).unwrap();
    s.finish().unwrap();
    buf
}

fn events(vcd: &[u8], opts: &Options) -> Vec<Event> {
    let mut v = Vec::new();
    analyze(Cursor::new(vcd), opts, |e| {
        v.push(e);
        Ok(())
    })
    .unwrap();
    v
}

fn frames(vcd: &[u8]) -> Vec<Frame> {
    events(vcd, &Options::default())
        .into_iter()
        .filter_map(|e| match e {
            Event::Frame(f) => Some(f),
            _ => None,
        })
        .collect()
}

fn violations(vcd: &[u8]) -> Vec<Violation> {
    check_reader(Cursor::new(vcd), &Options::default())
        .unwrap()
        .violations
}

fn frame(seed: u64, len: usize) -> Vec<u8> {
    random_frame(&mut ChaCha8Rng::seed_from_u64(seed), len)
}

/// Runs the CLI on a dump written to a temp file; returns (violations, output).
fn cli(vcd: &[u8], args: &[&str]) -> (Result<u64, VcdError>, String) {
    let dir = std::env::temp_dir().join(format!("nicsim-vcd-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let name = args.join("_").replace(['/', '-', ' '], "_");
    let path = dir.join(format!("{name}.vcd"));
    std::fs::write(&path, vcd).unwrap();
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        vcd: VcdArgs,
    }
    let mut argv = vec![
        "vcd".to_string(),
        args[0].to_string(),
        path.display().to_string(),
    ];
    argv.extend(args[1..].iter().map(|s| s.to_string()));
    let parsed = Cli::try_parse_from(argv).unwrap();
    let mut out = Vec::new();
    let r = run_vcd(&parsed.vcd, &mut out);
    (r, String::from_utf8(out).unwrap())
}

#[test]
fn good_frames_decode_identically_in_every_change_order() {
    let sent = [frame(1, 64), frame(2, 1518), frame(3, 100)];
    let mut results = Vec::new();
    for order in [
        ChangeOrder::ClockFirst,
        ChangeOrder::ClockLast,
        ChangeOrder::FallingEdge,
    ] {
        let cfg = SynthConfig {
            order,
            ..SynthConfig::default()
        };
        let mut starts = Vec::new();
        let vcd = dump(&cfg, |s| {
            for f in &sent {
                starts.push(s.sample_cycle());
                s.gmii_frame(Port::Tx, f).unwrap();
                s.ticks_n(12).unwrap();
            }
            starts.push(s.sample_cycle());
            s.gmii_frame(Port::Rx, &sent[0]).unwrap();
        });
        let got = frames(&vcd);
        assert_eq!(got.len(), 4, "{order:?}");
        for (i, f) in got.iter().enumerate() {
            let expect = if i < 3 { &sent[i] } else { &sent[0] };
            assert_eq!(&f.data, expect, "{order:?} frame {i}");
            assert_eq!(f.len, expect.len());
            assert!(f.fcs_ok && f.sfd);
            assert_eq!(f.preamble_len, 7);
            assert_eq!(f.start_cycle, starts[i], "{order:?} frame {i}");
            assert_eq!(f.end_cycle, starts[i] + 8 + expect.len() as u64 - 1);
            assert_eq!(f.error_cycles, 0);
        }
        assert_eq!(got[0].gap_before, None);
        assert_eq!(got[1].gap_before, Some(12));
        assert_eq!(got[2].gap_before, Some(12));
        assert_eq!(
            (got[3].port, got[3].index, got[3].gap_before),
            (Port::Rx, 0, None)
        );
        assert_eq!(got[1].without_fcs(), &sent[1][..sent[1].len() - 4]);
        assert!(
            violations(&vcd).is_empty(),
            "{order:?}: {:?}",
            violations(&vcd)
        );
        results.push(got);
    }
    assert_eq!(results[0], results[1]);
    assert_eq!(results[0], results[2]);
}

#[test]
fn cycles_skipped_by_fast_forward_still_count() {
    let mut starts = Vec::new();
    let vcd = dump(&SynthConfig::default(), |s| {
        starts.push(s.sample_cycle());
        s.gmii_frame(Port::Tx, &frame(30, 64)).unwrap();
        s.ticks_n(16).unwrap();
        s.skip(1000);
        s.ticks_n(2).unwrap();
        starts.push(s.sample_cycle());
        s.gmii_frame(Port::Tx, &frame(31, 64)).unwrap();
    });
    let f = frames(&vcd);
    let got: Vec<_> = f.iter().map(|f| f.start_cycle).collect();
    assert_eq!(got, starts);
    assert_eq!(f[1].gap_before, Some(1018));
    assert_eq!(f[1].start_ps, (2 * starts[1] + 1) * 4000);
    let r = check_reader(Cursor::new(&vcd), &Options::default()).unwrap();
    assert!(r.ok());
    assert_eq!(r.summary.skipped_cycles, 1000);
}

#[test]
fn ten_byte_gap_fails_check_and_names_the_cycle() {
    let mut second = 0;
    let vcd = dump(&SynthConfig::default(), |s| {
        s.gmii_frame(Port::Tx, &frame(4, 64)).unwrap();
        s.ticks_n(10).unwrap();
        second = s.sample_cycle();
        s.gmii_frame(Port::Tx, &frame(5, 64)).unwrap();
        s.ticks_n(12).unwrap();
        s.gmii_frame(Port::Tx, &frame(6, 64)).unwrap();
    });
    let v = violations(&vcd);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].rule, Rule::Ipg);
    assert_eq!(v[0].cycle, second);
    assert_eq!(v[0].signal, "TOP.nic_top.gmii_tx_en");
    assert_eq!(v[0].time_ps, (2 * second + 1) * 4000);
    assert!(
        v[0].message.contains("gap of 10 byte times"),
        "{}",
        v[0].message
    );

    let (r, out) = cli(&vcd, &["check"]);
    assert_eq!(r.unwrap(), 1);
    assert!(
        out.contains(&format!("VIOLATION cycle {second} ")),
        "output names the cycle:\n{out}"
    );
    assert!(
        out.contains("[ipg]") && out.contains("FAIL: 1 violations"),
        "{out}"
    );
    // The same dump passes when the minimum is lowered to 10.
    let (r, out) = cli(&vcd, &["check", "--min-ipg", "10"]);
    assert_eq!(r.unwrap(), 0, "{out}");
    assert!(out.contains("PASS"));
}

fn single_violation(vcd: &[u8], rule: Rule, signal: &str) -> Violation {
    let v = violations(vcd);
    let hits: Vec<_> = v.iter().filter(|x| x.rule == rule).collect();
    assert_eq!(hits.len(), 1, "{rule:?} expected once in {v:#?}");
    assert_eq!(hits[0].signal, signal);
    hits[0].clone()
}

#[test]
fn framing_errors_are_detected() {
    // Bad FCS.
    let mut start = 0;
    let mut bad = frame(7, 80);
    bad[20] ^= 0x10;
    let vcd = dump(&SynthConfig::default(), |s| {
        start = s.sample_cycle();
        s.gmii_frame(Port::Tx, &bad).unwrap();
    });
    let v = single_violation(&vcd, Rule::Fcs, "TOP.nic_top.gmii_txd");
    assert_eq!(v.cycle, start);
    assert!(!frames(&vcd)[0].fcs_ok);
    assert_eq!(violations(&vcd).len(), 1);

    // Short preamble, then missing SFD, on the receive side.
    let vcd = dump(&SynthConfig::default(), |s| {
        s.gmii_frame_raw(Port::Rx, 5, true, &frame(8, 64)).unwrap();
        s.ticks_n(12).unwrap();
        s.gmii_frame_raw(Port::Rx, 7, false, &frame(9, 64)).unwrap();
    });
    let f = frames(&vcd);
    assert_eq!((f[0].preamble_len, f[0].sfd, f[0].fcs_ok), (5, true, true));
    assert!(!f[1].sfd);
    single_violation(&vcd, Rule::Preamble, "TOP.nic_top.gmii_rxd");
    single_violation(&vcd, Rule::Sfd, "TOP.nic_top.gmii_rxd");

    // Runt: 60 bytes with FCS.
    let vcd = dump(&SynthConfig::default(), |s| {
        s.gmii_frame(Port::Tx, &frame(10, 60)).unwrap();
    });
    assert_eq!(frames(&vcd)[0].len, 60);
    let v = single_violation(&vcd, Rule::Runt, "TOP.nic_top.gmii_txd");
    assert!(v.message.contains("60 bytes"), "{}", v.message);
    assert_eq!(violations(&vcd).len(), 1);

    // TX_ER in the middle of a frame.
    let vcd = dump(&SynthConfig::default(), |s| {
        let f = frame(11, 64);
        let mut wire = vec![0x55; 7];
        wire.push(0xd5);
        wire.extend_from_slice(&f);
        for (i, b) in wire.iter().enumerate() {
            s.drive("gmii_txd", u64::from(*b)).unwrap();
            s.drive("gmii_tx_en", 1).unwrap();
            s.drive("gmii_tx_er", u64::from(i == 30)).unwrap();
            s.tick().unwrap();
        }
        s.drive("gmii_tx_en", 0).unwrap();
        s.drive("gmii_tx_er", 0).unwrap();
    });
    assert_eq!(frames(&vcd)[0].error_cycles, 1);
    single_violation(&vcd, Rule::GmiiError, "TOP.nic_top.gmii_tx_er");

    // x on TX_EN out of reset.
    let mut at = 0;
    let vcd = dump(&SynthConfig::default(), |s| {
        at = s.sample_cycle();
        s.drive_opt("gmii_tx_en", None).unwrap();
        s.tick().unwrap();
        s.drive("gmii_tx_en", 0).unwrap();
    });
    let v = single_violation(&vcd, Rule::Unknown, "TOP.nic_top.gmii_tx_en");
    assert_eq!(v.cycle, at);
}

#[test]
fn oversize_is_checked_only_when_asked() {
    let vcd = dump(&SynthConfig::default(), |s| {
        s.gmii_frame(Port::Tx, &frame(12, 1522)).unwrap();
    });
    assert!(violations(&vcd).is_empty());
    let (r, out) = cli(&vcd, &["check", "--max-len", "1518"]);
    assert_eq!(r.unwrap(), 1, "{out}");
    assert!(out.contains("[oversize]"), "{out}");
}

fn axil_rw(s: &mut Synth<'_>) {
    s.axil_write(0x00400, 0x0000_000a, 2).unwrap();
    // Read with ARREADY two cycles late and RVALID one cycle after.
    s.drive("s_axil_araddr", 0x00008).unwrap();
    s.drive("s_axil_arvalid", 1).unwrap();
    s.drive("s_axil_rready", 1).unwrap();
    s.ticks_n(2).unwrap();
    s.drive("s_axil_arready", 1).unwrap();
    s.tick().unwrap();
    s.drive("s_axil_arvalid", 0).unwrap();
    s.drive("s_axil_arready", 0).unwrap();
    s.drive("s_axil_rvalid", 1).unwrap();
    s.drive("s_axil_rdata", 0x8000_0002).unwrap();
    s.tick().unwrap();
    s.drive("s_axil_rvalid", 0).unwrap();
}

#[test]
fn register_accesses_and_bursts_decode() {
    let mut t0 = 0;
    let mut t1 = 0;
    let mut t2 = 0;
    let vcd = dump(&SynthConfig::default(), |s| {
        t0 = s.sample_cycle();
        axil_rw(s);
        t1 = s.sample_cycle() - 4;
        s.tick().unwrap();
        t2 = s.sample_cycle();
        s.axi_read(3, 0x1_0000, 4, 5).unwrap();
        // Write burst whose W data leads its AW by one cycle (A3.3.1).
        for beat in 0..2u64 {
            s.drive("m_axi_wdata", beat).unwrap();
            s.drive("m_axi_wstrb", 0xff).unwrap();
            s.drive("m_axi_wvalid", 1).unwrap();
            s.drive("m_axi_wready", 1).unwrap();
            s.drive("m_axi_wlast", beat).unwrap();
            if beat == 1 {
                for (n, v) in [
                    ("awid", 2),
                    ("awaddr", 0x2_0ff0),
                    ("awlen", 1),
                    ("awsize", 3),
                ] {
                    s.drive(&format!("m_axi_{n}"), v).unwrap();
                }
                s.drive("m_axi_awburst", 1).unwrap();
                s.drive("m_axi_awvalid", 1).unwrap();
                s.drive("m_axi_awready", 1).unwrap();
            }
            s.tick().unwrap();
        }
        for n in ["wvalid", "wlast", "awvalid", "awready"] {
            s.drive(&format!("m_axi_{n}"), 0).unwrap();
        }
        s.drive("m_axi_bready", 1).unwrap();
        s.tick().unwrap();
        s.drive("m_axi_bvalid", 1).unwrap();
        s.drive("m_axi_bid", 2).unwrap();
        s.drive("m_axi_bresp", 2).unwrap();
        s.tick().unwrap();
        s.drive("m_axi_bvalid", 0).unwrap();
    });
    let ev = events(&vcd, &Options::default());
    let regs: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Reg(a) => Some(a.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(regs.len(), 2);
    assert_eq!(
        (regs[0].dir, regs[0].addr, regs[0].data, regs[0].strb),
        (Dir::Write, 0x400, 0xa, 0xf)
    );
    assert_eq!((regs[0].start_cycle, regs[0].latency()), (t0, 2));
    assert_eq!(
        (regs[1].dir, regs[1].addr, regs[1].data, regs[1].resp),
        (Dir::Read, 8, 0x8000_0002, Resp::Okay)
    );
    assert_eq!((regs[1].start_cycle, regs[1].latency()), (t1, 3));
    let bursts: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Burst(b) => Some(b.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(bursts.len(), 2);
    let r = &bursts[0];
    assert_eq!(
        (r.dir, r.id, r.addr, r.len, r.beats, r.size_bytes, r.kind),
        (Dir::Read, 3, 0x1_0000, 3, 4, 8, BurstKind::Incr)
    );
    assert_eq!(r.start_cycle, t2);
    assert_eq!(r.first_data_cycle - r.start_cycle, 5);
    assert_eq!(r.latency(), 8);
    let w = &bursts[1];
    assert_eq!(
        (w.dir, w.id, w.addr, w.len, w.beats, w.resp),
        (Dir::Write, 2, 0x2_0ff0, 1, 2, Resp::SlvErr)
    );
    assert!(
        !ev.iter().any(|e| matches!(e, Event::Violation(_))),
        "{ev:#?}"
    );

    let (r, out) = cli(&vcd, &["axi"]);
    r.unwrap();
    assert!(
        out.contains(&format!(
            "REG  W  cycle {t0:>9}  addr 0x00400  data 0x0000000a  strb f  OKAY    lat    2"
        )),
        "{out}"
    );
    assert!(out.contains("DMA  W  cycle"), "{out}");
    assert!(out.contains("SLVERR"), "{out}");
    assert!(out.contains("2 register accesses, 2 DMA bursts"), "{out}");
}

#[test]
fn axi_handshake_violations_are_detected() {
    // AWVALID dropped before AWREADY.
    let mut at = 0;
    let vcd = dump(&SynthConfig::default(), |s| {
        s.drive("s_axil_awvalid", 1).unwrap();
        s.drive("s_axil_awaddr", 0x10).unwrap();
        s.tick().unwrap();
        at = s.sample_cycle();
        s.drive("s_axil_awvalid", 0).unwrap();
        s.tick().unwrap();
    });
    let v = single_violation(&vcd, Rule::ValidDropped, "TOP.nic_top.s_axil_awvalid");
    assert_eq!(v.cycle, at);

    // ARADDR changes while ARVALID waits.
    let vcd = dump(&SynthConfig::default(), |s| {
        s.drive("m_axi_arvalid", 1).unwrap();
        s.drive("m_axi_araddr", 0x1000).unwrap();
        s.drive("m_axi_arlen", 0).unwrap();
        s.drive("m_axi_arsize", 3).unwrap();
        s.drive("m_axi_arburst", 1).unwrap();
        s.tick().unwrap();
        at = s.sample_cycle();
        s.drive("m_axi_araddr", 0x1008).unwrap();
        s.tick().unwrap();
        s.drive("m_axi_arready", 1).unwrap();
        s.drive("m_axi_rready", 1).unwrap();
        s.tick().unwrap();
        s.drive("m_axi_arvalid", 0).unwrap();
        s.drive("m_axi_arready", 0).unwrap();
        s.drive("m_axi_rvalid", 1).unwrap();
        s.drive("m_axi_rlast", 1).unwrap();
        s.tick().unwrap();
        s.drive("m_axi_rvalid", 0).unwrap();
    });
    let v = single_violation(&vcd, Rule::PayloadChanged, "TOP.nic_top.m_axi_araddr");
    assert_eq!(v.cycle, at);
    assert_eq!(violations(&vcd).len(), 1, "{:?}", violations(&vcd));

    // ARVALID x out of reset.
    let vcd = dump(&SynthConfig::default(), |s| {
        at = s.sample_cycle();
        s.drive_opt("s_axil_arvalid", None).unwrap();
        s.tick().unwrap();
        s.drive("s_axil_arvalid", 0).unwrap();
    });
    let v = single_violation(&vcd, Rule::Unknown, "TOP.nic_top.s_axil_arvalid");
    assert_eq!(v.cycle, at);
    assert_eq!(violations(&vcd).len(), 1);

    // BVALID with nothing outstanding.
    let vcd = dump(&SynthConfig::default(), |s| {
        s.drive("s_axil_bvalid", 1).unwrap();
        s.drive("s_axil_bready", 1).unwrap();
        s.tick().unwrap();
        s.drive("s_axil_bvalid", 0).unwrap();
    });
    single_violation(&vcd, Rule::UnexpectedResponse, "TOP.nic_top.s_axil_bvalid");

    // RVALID in the same cycle as the AR handshake.
    let vcd = dump(&SynthConfig::default(), |s| {
        s.drive("s_axil_arvalid", 1).unwrap();
        s.drive("s_axil_arready", 1).unwrap();
        s.drive("s_axil_rvalid", 1).unwrap();
        s.drive("s_axil_rready", 1).unwrap();
        s.tick().unwrap();
        s.drive("s_axil_arvalid", 0).unwrap();
        s.drive("s_axil_rvalid", 0).unwrap();
    });
    single_violation(&vcd, Rule::EarlyResponse, "TOP.nic_top.s_axil_rvalid");
}

fn write_burst(s: &mut Synth<'_>, addr: u64, len: u64, lasts: &[bool]) {
    for (n, v) in [
        ("awid", 1),
        ("awaddr", addr),
        ("awlen", len),
        ("awsize", 3),
        ("awburst", 1),
    ] {
        s.drive(&format!("m_axi_{n}"), v).unwrap();
    }
    s.drive("m_axi_awvalid", 1).unwrap();
    s.drive("m_axi_awready", 1).unwrap();
    s.tick().unwrap();
    s.drive("m_axi_awvalid", 0).unwrap();
    for (i, &last) in lasts.iter().enumerate() {
        s.drive("m_axi_wdata", i as u64).unwrap();
        s.drive("m_axi_wvalid", 1).unwrap();
        s.drive("m_axi_wready", 1).unwrap();
        s.drive("m_axi_wlast", u64::from(last)).unwrap();
        s.tick().unwrap();
    }
    s.drive("m_axi_wvalid", 0).unwrap();
    s.drive("m_axi_wlast", 0).unwrap();
    s.drive("m_axi_bid", 1).unwrap();
    s.drive("m_axi_bvalid", 1).unwrap();
    s.drive("m_axi_bready", 1).unwrap();
    s.tick().unwrap();
    s.drive("m_axi_bvalid", 0).unwrap();
}

#[test]
fn burst_rule_violations_are_detected() {
    // Clean 4-beat burst.
    let vcd = dump(&SynthConfig::default(), |s| {
        write_burst(s, 0x1000, 3, &[false, false, false, true]);
    });
    assert!(violations(&vcd).is_empty(), "{:?}", violations(&vcd));

    // WLAST missing on beat 4, given on beat 5.
    let mut at = 0;
    let vcd = dump(&SynthConfig::default(), |s| {
        at = s.sample_cycle() + 4;
        write_burst(s, 0x1000, 3, &[false, false, false, false, true]);
    });
    let v = single_violation(&vcd, Rule::LastMissing, "TOP.nic_top.m_axi_wlast");
    assert_eq!(v.cycle, at);
    let v = single_violation(&vcd, Rule::BeatCount, "TOP.nic_top.m_axi_wlast");
    assert!(
        v.message.contains("5 W beats, AWLEN=3 means 4"),
        "{}",
        v.message
    );

    // WLAST early.
    let vcd = dump(&SynthConfig::default(), |s| {
        write_burst(s, 0x1000, 3, &[false, true]);
    });
    single_violation(&vcd, Rule::BeatCount, "TOP.nic_top.m_axi_wlast");

    // 4 KiB crossing: 4 beats of 8 bytes from 0x1ff0.
    let vcd = dump(&SynthConfig::default(), |s| {
        write_burst(s, 0x1ff0, 3, &[false, false, false, true]);
    });
    let v = single_violation(&vcd, Rule::Cross4K, "TOP.nic_top.m_axi_awaddr");
    assert!(v.message.contains("0x1ff0..=0x200f"), "{}", v.message);
    assert_eq!(violations(&vcd).len(), 1);

    // RLAST missing, then read data nobody asked for.
    let vcd = dump(&SynthConfig::default(), |s| {
        s.axi_read(0, 0x3000, 2, 1).unwrap();
        s.drive("m_axi_rvalid", 1).unwrap();
        s.drive("m_axi_rid", 5).unwrap();
        s.drive("m_axi_rlast", 1).unwrap();
        s.tick().unwrap();
        s.drive("m_axi_rvalid", 0).unwrap();
    });
    single_violation(&vcd, Rule::UnexpectedResponse, "TOP.nic_top.m_axi_rid");
    assert!(violations(&vcd).iter().all(|v| v.rule != Rule::LastMissing));
}

#[test]
fn scope_selects_among_instances() {
    // A hand-written header with two instances.
    let text = b"$timescale 1ps $end
$scope module TOP $end
$var wire 1 ! clk $end
$scope module nic0 $end
$var wire 1 ! clk $end
$var wire 8 \" gmii_txd [7:0] $end
$var wire 1 # gmii_tx_en $end
$upscope $end
$scope module nic1 $end
$var wire 1 ! clk $end
$var wire 8 $ gmii_txd [7:0] $end
$var wire 1 % gmii_tx_en $end
$upscope $end
$upscope $end
$enddefinitions $end
#0
0!
b0 \"
0#
b0 $
0%
#4
1!
#8
0!
b11010101 $
1%
#12
1!
#16
0!
0%
#20
1!
#24
0!
";
    let opts = Options {
        ports: vec![Port::Tx],
        axil: false,
        axi: false,
        ..Options::default()
    };
    let err = analyze(Cursor::new(&text[..]), &opts, |_| Ok(())).unwrap_err();
    match &err {
        VcdError::Ambiguous { candidates, .. } => {
            assert_eq!(
                candidates,
                &["TOP.nic0".to_string(), "TOP.nic1".to_string()]
            )
        }
        e => panic!("expected ambiguity, got {e}"),
    }
    assert!(err.to_string().contains("--scope"));
    for (scope, n) in [("nic0", 0), ("nic1", 1), ("TOP.nic1", 1)] {
        let opts = Options {
            selection: Selection {
                scope: Some(scope.to_string()),
                ..Selection::default()
            },
            ..opts.clone()
        };
        let f: Vec<Frame> = events(text, &opts)
            .into_iter()
            .filter_map(|e| match e {
                Event::Frame(f) => Some(f),
                _ => None,
            })
            .collect();
        assert_eq!(f.len(), n, "scope {scope}");
        if n == 1 {
            assert_eq!(
                (f[0].start_cycle, f[0].preamble_len, f[0].sfd),
                (1, 0, true)
            );
        }
    }
    let opts = Options {
        selection: Selection {
            scope: Some("nic2".to_string()),
            ..Selection::default()
        },
        ..opts
    };
    assert!(matches!(
        analyze(Cursor::new(&text[..]), &opts, |_| Ok(())),
        Err(VcdError::NoSignals(_))
    ));
}

#[test]
fn to_pcap_round_trips_and_signals_lists() {
    let sent = [frame(20, 64), frame(21, 333)];
    let vcd = dump(&SynthConfig::default(), |s| {
        for f in &sent {
            s.gmii_frame(Port::Tx, f).unwrap();
            s.ticks_n(12).unwrap();
        }
        s.gmii_frame(Port::Rx, &sent[1]).unwrap();
    });
    let dir = std::env::temp_dir().join(format!("nicsim-vcd-pcap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("tx.pcap");
    let (r, text) = cli(&vcd, &["to-pcap", out.to_str().unwrap(), "--port", "tx"]);
    r.unwrap();
    assert!(text.contains("wrote 2 frames"), "{text}");
    let mut reader = pcap_file::pcap::PcapReader::new(std::fs::File::open(&out).unwrap()).unwrap();
    assert_eq!(reader.header().datalink, pcap_file::DataLink::ETHERNET);
    let mut got = Vec::new();
    while let Some(p) = reader.next_packet() {
        let p = p.unwrap();
        assert_eq!(p.orig_len as usize, p.data.len());
        got.push(p.data.into_owned());
    }
    assert_eq!(got, sent.to_vec());

    let (r, text) = cli(&vcd, &["signals"]);
    r.unwrap();
    assert!(text.starts_with("timescale 1ps\n"), "{text}");
    assert!(text.contains("TOP.nic_top\n"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["gmii_txd", "8", "wire", "[7:0]"]),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["m_axi_wdata", "64", "wire", "[63:0]"]),
        "{text}"
    );

    let (r, text) = cli(&vcd, &["frames", "--port", "rx"]);
    r.unwrap();
    let lines: Vec<_> = text.lines().collect();
    assert!(lines[0].starts_with("port  frame"), "{text}");
    assert!(lines[1].starts_with("rx        0"), "{text}");
    assert!(lines[1].contains("  333  good"), "{text}");
    assert!(
        lines[1].contains("ff:ff:ff:ff:ff:ff  02:00:00:00:00:01  0x0800"),
        "{text}"
    );
    assert!(text.contains("rx: 1 frames"), "{text}");
}

#[test]
fn dump_opened_mid_run_does_not_blame_what_came_before() {
    // A trace window: no reset, a frame already on the wire, a register read
    // and a DMA read whose requests came before the dump.
    let cfg = SynthConfig {
        initial: [
            ("rst", 0),
            ("gmii_tx_en", 1),
            ("gmii_txd", 0x42),
            ("s_axil_rvalid", 1),
            ("s_axil_rready", 1),
            ("m_axi_rvalid", 1),
            ("m_axi_rready", 1),
            ("m_axi_rlast", 1),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_string(), v))
        .collect(),
        ..SynthConfig::default()
    };
    let mut buf = Vec::new();
    let mut s = SynthVcd::new(&mut buf, &cfg).unwrap();
    for n in ["s_axil_rvalid", "m_axi_rvalid", "m_axi_rlast"] {
        s.drive(n, 0).unwrap();
    }
    s.ticks_n(3).unwrap();
    s.drive("gmii_tx_en", 0).unwrap();
    s.ticks_n(12).unwrap();
    let sent = frame(40, 64);
    s.gmii_frame(Port::Tx, &sent).unwrap();
    s.ticks_n(2).unwrap();
    s.axil_write(0x10, 1, 1).unwrap();
    // After a write was seen, an unmatched write response is a violation.
    s.drive("s_axil_bvalid", 1).unwrap();
    s.tick().unwrap();
    s.drive("s_axil_bvalid", 0).unwrap();
    s.ticks_n(2).unwrap();
    s.finish().unwrap();

    let r = check_reader(Cursor::new(&buf), &Options::default()).unwrap();
    let v: Vec<_> = r
        .violations
        .iter()
        .map(|v| (v.rule, v.signal.as_str()))
        .collect();
    assert_eq!(
        v,
        [(Rule::UnexpectedResponse, "TOP.nic_top.s_axil_bvalid")],
        "{:#?}",
        r.violations
    );
    assert_eq!(r.summary.pre_dump, 2);
    let f = frames(&buf);
    assert_eq!(f.len(), 2);
    assert!(f[0].cut && f[0].start_cycle == 0 && f[0].end_cycle == 3 && f[0].len == 4);
    assert!(!f[1].cut && f[1].data == sent && f[1].gap_before == Some(12));
}

#[test]
fn frame_cut_by_the_end_of_the_dump_is_reported_not_checked() {
    let mut buf = Vec::new();
    let mut s = SynthVcd::new(&mut buf, &SynthConfig::default()).unwrap();
    s.drive("rst", 0).unwrap();
    s.tick().unwrap();
    s.gmii_bytes(Port::Tx, &[0x55, 0x55, 0x55]).unwrap();
    s.finish().unwrap();
    let r = check_reader(Cursor::new(&buf), &Options::default()).unwrap();
    assert!(r.ok(), "{:?}", r.violations);
    assert_eq!(r.summary.open_frames, vec![(Port::Tx, 2)]);
    assert!(frames(&buf)[0].cut);
}

#[test]
fn systemverilog_types_and_attributes_are_accepted() {
    // IEEE 1800 clause 21.7 types and GTKWave attributes that the `vcd`
    // crate alone rejects.
    let text = b"$timescale 1 ns $end
$scope module TOP $end
$attrbegin misc 07 nic_top 1 $end
$scope interface nic_top $end
$var logic 1 ! clk $end
$var logic 8 \" gmii_txd [7:0] $end
$var bit 1 # gmii_tx_en $end
$var shortreal 1 $ temp $end
$upscope $end
$upscope $end
$enddefinitions $end
#0
0!
b0 \"
0#
#4
1!
b1010101 \"
1#
#8
0!
#12
1!
0#
#16
0!
#20
1!
";
    let list = nicsim::vcdtool::read_signals(Cursor::new(&text[..])).unwrap();
    assert_eq!(list.timescale_fs, 1_000_000);
    let names: Vec<_> = list.signals.iter().map(|s| s.path()).collect();
    assert_eq!(
        names,
        [
            "TOP.nic_top.clk",
            "TOP.nic_top.gmii_txd",
            "TOP.nic_top.gmii_tx_en",
            "TOP.nic_top.temp"
        ]
    );
    let f = frames(text);
    assert_eq!(f.len(), 1);
    assert_eq!(
        (f[0].start_cycle, f[0].preamble_len, f[0].sfd),
        (1, 1, false)
    );
    assert_eq!(f[0].start_ps, 12_000);
}

#[test]
fn dumpoff_stretch_is_not_sampled() {
    // TX_EN high, then $dumpoff (every value x, no clock) and $dumpon at a
    // rising edge, TX_EN still high: one burst, not two split by an x
    // sample; the cycles in between still count.
    let text = b"$timescale 1ns $end
$scope module nic $end
$var wire 1 ! clk $end
$var wire 8 d gmii_txd [7:0] $end
$var wire 1 e gmii_tx_en $end
$upscope $end
$enddefinitions $end
#0
$dumpvars
0!
b1010101 d
1e
$end
#4
1!
#8
0!
#12
1!
#16
$dumpoff
x!
bx d
xe
$end
#44
$dumpon
1!
b1010101 d
1e
$end
#48
0!
#52
1!
#56
0!
0e
#60
1!
";
    let f = frames(text);
    assert_eq!(f.len(), 1, "{f:?}");
    // Edges at 4, 12, 44 (resumed, not sampled), 52 and 60; three at 20,
    // 28 and 36 inferred from the time. Bytes sampled at cycles 0, 1, 6.
    assert_eq!((f[0].start_cycle, f[0].end_cycle, f[0].len), (0, 6, 0));
    assert_eq!(f[0].preamble_len, 3);
}

#[test]
fn invalid_dump_is_an_error_with_a_line() {
    let text = b"$timescale 1ps $end\n$scope module TOP $end\n$var wire 1 ! clk $end\n$upscope $end\n$enddefinitions $end\n#0\n0!\n#5\n?!\n";
    let e = analyze(Cursor::new(&text[..]), &Options::default(), |_| Ok(())).unwrap_err();
    assert!(
        matches!(e, VcdError::NoSignals(_)),
        "no NIC signals in this dump: {e}"
    );
    let text = b"$timescale 1ps $end\n$scope module TOP $end\n$var wire 1 ! clk $end\n$var wire 1 \" gmii_tx_en $end\n$var wire 8 # gmii_txd $end\n$upscope $end\n$enddefinitions $end\n#0\n0!\n#5\n?!\n";
    let e = analyze(Cursor::new(&text[..]), &Options::default(), |_| Ok(())).unwrap_err();
    match e {
        VcdError::Parse { line, .. } => assert_eq!(line, Some(11)),
        e => panic!("expected a parse error, got {e}"),
    }
}
