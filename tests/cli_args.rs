//! Bad command lines and bad configuration files (docs/cli.md, "Bad
//! arguments" and "Exit status"): each exits non-zero with the documented
//! status and a message that names the option or key and the value, runs
//! nothing, and never panics.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;

struct Outcome {
    args: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn nicsim(args: &[&str]) -> Outcome {
    let out = Command::new(env!("CARGO_BIN_EXE_nicsim"))
        .args(args)
        // A panic would print its backtrace: the checks below would see it.
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    Outcome {
        args: args.join(" "),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A configuration file with `text`, named after the test case.
fn config(name: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli_args");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Rejected with `code`, nothing ran (no report), no panic, and stderr
/// contains every one of `needles`.
fn assert_rejected(o: &Outcome, code: i32, needles: &[&str]) {
    let ctx = format!(
        "nicsim {}\nstatus {:?}\nstderr:\n{}\nstdout:\n{}",
        o.args, o.code, o.stderr, o.stdout
    );
    assert_eq!(o.code, Some(code), "{ctx}");
    for bad in ["panicked", "stack backtrace", "RUST_BACKTRACE"] {
        assert!(!o.stderr.contains(bad), "{ctx}");
    }
    assert!(!o.stdout.contains("nicsim report"), "something ran: {ctx}");
    for n in needles {
        assert!(o.stderr.contains(n), "`{n}` missing: {ctx}");
    }
}

/// What the parser rejects: status 2, the option and the value named.
#[test]
fn parser_errors_exit_2_naming_option_and_value() {
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["run", "nosuch"],
            &[
                "invalid value 'nosuch' for '<SCENARIO>'",
                "possible values: ping, udp-echo, tcp-bulk",
            ],
        ),
        (
            &["run", "ping", "--vcd-window", "nonsense"],
            &[
                "'--vcd-window <VCD_WINDOW>'",
                "`nonsense`",
                "expected START..END or first-frame[+CYCLES]",
            ],
        ),
        (
            &["run", "ping", "--vcd-window", "200..100"],
            &["`200..100`", "end must be after start"],
        ),
        (
            &["demo", "--vcd-window", "first-frame+soon"],
            &["`first-frame+soon`", "bad cycle count"],
        ),
        (
            &["run", "ping", "--itr", "70000"],
            &["'--itr <ITR>'", "70000 is not in 0..=65535"],
        ),
        (
            &["run", "ping", "--loss", "high"],
            &["invalid value 'high' for '--loss <LOSS>'"],
        ),
        (
            &["run", "tcp-bulk", "--bytes", "4MiB"],
            &["invalid value '4MiB' for '--bytes <BYTES>'"],
        ),
        (
            &["run", "ping", "--frobnicate"],
            &["unexpected argument '--frobnicate'"],
        ),
        (&["run"], &["<SCENARIO>"]),
        (
            &["fuzz", "--dut", "nosuch"],
            &["'--dut <DUT>'", "unknown device `nosuch`"],
        ),
        (
            &["replay", "x.json", "--dut", "model+nosuch"],
            &["'--dut <DUT>'", "unknown mutation `nosuch`"],
        ),
        (
            &["journey", "ping", "--packet", "first"],
            &["invalid value 'first' for '--packet <PACKET>'"],
        ),
        (
            &["--log-level", "foo=[", "run", "ping"],
            &["nicsim: bad --log-level `foo=[`"],
        ),
    ];
    for (args, needles) in cases {
        assert_rejected(&nicsim(args), 2, needles);
    }
}

/// Values that parse but are out of range: status 1, the key named with
/// its section, the value and the valid range.
#[test]
fn out_of_range_values_exit_1_naming_the_key() {
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["run", "ping", "--loss", "2"],
            &["nicsim: FAILED: invalid wire.loss: 2 is not a probability in 0..=1"],
        ),
        (
            &["run", "stress", "--corrupt=-0.5"],
            &["invalid wire.corrupt: -0.5 is not a probability"],
        ),
        (
            &["run", "stress", "--dup", "NaN"],
            &["invalid wire.dup: NaN is not a probability"],
        ),
        (
            &["run", "ping", "--time-limit-ms", "0"],
            &["invalid time_limit_ms: must be at least 1"],
        ),
        (
            &["demo", "--reorder", "1.5"],
            &["invalid wire.reorder: 1.5"],
        ),
        (
            &["journey", "tcp-bulk", "--loss", "7"],
            &["invalid wire.loss: 7"],
        ),
    ];
    for (args, needles) in cases {
        let o = nicsim(args);
        assert_rejected(&o, 1, needles);
        assert_eq!(o.stderr.lines().count(), 1, "one line: {}", o.stderr);
    }
}

/// Bad `--config` files: status 1; the file, the key (with its line for
/// parse errors) and what is wrong are named.
#[test]
fn bad_config_files_exit_1_naming_the_key() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "unknown-key",
            "[wire]\nlosss = 0.1\n",
            &["bad config ", "line 2", "unknown field `losss`", "`loss`"],
        ),
        (
            "unknown-top-level-key",
            "sed = 3\n",
            &["unknown field `sed`", "`seed`"],
        ),
        (
            "unknown-section",
            "[wires]\nloss = 0.1\n",
            &["unknown field `wires`", "`wire`"],
        ),
        (
            "wrong-type",
            "seed = \"x\"\n",
            &["line 1", "invalid type: string \"x\", expected u64"],
        ),
        (
            "bad-congestion",
            "[tcp]\ncongestion = \"vegas\"\n",
            &["unknown variant `vegas`", "`newreno` or `cubic`"],
        ),
        (
            "not-toml",
            "this is not toml\n",
            &["bad config ", "TOML parse error at line 1"],
        ),
        (
            "ring",
            "[nic]\nrx_ring = 12\n",
            &["invalid nic.rx_ring: 12 descriptors: must be a multiple of 8"],
        ),
        (
            "mtu",
            "[nic]\nmtu = 20\n",
            &["invalid nic.mtu: 20 is outside 68..=9000"],
        ),
        (
            "delayed-ack",
            "[tcp]\ndelayed_ack_ms = 500\n",
            &["invalid tcp.delayed_ack_ms: 500 ms", "less than 500"],
        ),
        (
            "rto-min",
            "[tcp]\nrto_min_ms = 0\n",
            &["invalid tcp.rto_min_ms: 0 is outside 1..=60000"],
        ),
        (
            "window",
            "[output]\nvcd_window = \"soon\"\n",
            &["invalid vcd_window: `soon`"],
        ),
        (
            "budget",
            "[nic]\nnapi_budget = 0\n",
            &["invalid nic.napi_budget: must be at least 1"],
        ),
    ];
    for (name, text, needles) in cases {
        let path = config(name, text);
        let p = path.to_str().unwrap();
        let o = nicsim(&["run", "ping", "--config", p]);
        assert_rejected(&o, 1, needles);
        assert!(o.stderr.starts_with("nicsim: FAILED: "), "{}", o.stderr);
        if !needles[0].starts_with("invalid ") {
            assert!(o.stderr.contains(p), "the file is named: {}", o.stderr);
        }
    }
    let missing = config("x", "").with_file_name("missing.toml");
    let o = nicsim(&["run", "ping", "--config", missing.to_str().unwrap()]);
    assert_rejected(&o, 1, &["cannot read config ", "missing.toml"]);
}

/// The file must be valid on its own: a flag does not repair it; a flag
/// that breaks a valid file is named as the key it sets.
#[test]
fn file_then_flags() {
    let bad = config("loss-2", "[wire]\nloss = 2.0\n");
    let o = nicsim(&[
        "run",
        "ping",
        "--config",
        bad.to_str().unwrap(),
        "--loss",
        "0.1",
    ]);
    assert_rejected(&o, 1, &["invalid wire.loss: 2 "]);
    let good = config("loss-ok", "[wire]\nloss = 0.1\n");
    let o = nicsim(&[
        "run",
        "ping",
        "--config",
        good.to_str().unwrap(),
        "--loss",
        "1.01",
    ]);
    assert_rejected(&o, 1, &["invalid wire.loss: 1.01 "]);
}

/// An output that cannot be created fails before the run, naming the path.
#[test]
fn unusable_output_directory() {
    let o = nicsim(&["run", "ping", "--quiet", "--pcap", "/dev/null/captures"]);
    assert_rejected(&o, 1, &["nicsim: FAILED: setup: /dev/null/captures"]);
}
