//! Descriptor fuzzing: generated programs run on the reference model and on
//! a device under test, compared after every operation.
//!
//! - [`ops`]: the operations ([`ops::Op`]) and their proptest strategies.
//! - [`dut`]: the [`dut::Dut`] interface and the model behind it.
//! - [`harness`]: running one program on both sides and comparing.
//!
//! Entry points: [`fuzz`] (a campaign: `cargo xtask fuzz --cases N --seed
//! S`, `nicsim fuzz`), [`check`] (the same with any device factory, used by
//! the budgeted test), [`replay`] (`nicsim replay FILE`) and
//! [`save_regression`]. What is compared exactly, approximately or not at
//! all is documented in `docs/fuzzing.md`.

pub mod dut;
pub mod harness;
pub mod ops;
pub mod rtl;

use std::cell::Cell;
use std::fs;
use std::path::{Path, PathBuf};

use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use serde::{Deserialize, Serialize};
use sim::model::{ModelConfig, Mutation};

use dut::{Dut, ModelDut};
use harness::{Mismatch, Summary};
use ops::Program;

/// Operations per generated program (upper bound).
pub const MAX_OPS: usize = 40;

/// A device back end by name: `rtl` (the Verilated NIC in the simulation
/// world), `model` (the reference against itself), `model+<Mutation>` (the
/// model with a planted bug, e.g. `model+IgnoreEop`).
/// Whether `name` is a device [`dut_by_name`] knows, without building it.
pub fn check_dut_name(name: &str) -> Result<(), String> {
    match name.strip_prefix("model+") {
        _ if name == "rtl" || name == "model" => Ok(()),
        Some(m) => mutation_by_name(m)
            .map(|_| ())
            .ok_or_else(|| format!("unknown mutation `{m}`")),
        None => Err(format!(
            "unknown device `{name}` (known: rtl, model, model+<mutation>)"
        )),
    }
}

pub fn dut_by_name(name: &str) -> Result<Box<dyn Dut>, String> {
    if name == "rtl" {
        return Ok(Box::new(rtl::RtlDut::new(1)));
    }
    if name == "model" {
        return Ok(Box::new(ModelDut::new(ModelConfig::default())));
    }
    if let Some(m) = name.strip_prefix("model+") {
        let mutation = mutation_by_name(m).ok_or_else(|| format!("unknown mutation `{m}`"))?;
        return Ok(Box::new(ModelDut::new(ModelConfig {
            mutation: Some(mutation),
            ..ModelConfig::default()
        })));
    }
    Err(format!(
        "unknown device `{name}` (known: rtl, model, model+<mutation>)"
    ))
}

/// Every planted bug the model can carry, with its name.
pub const MUTATIONS: [(&str, Mutation); 5] = [
    ("RingWrapOffByOne", Mutation::RingWrapOffByOne),
    ("NoDescriptorDone", Mutation::NoDescriptorDone),
    ("IgnoreEop", Mutation::IgnoreEop),
    ("CrcBitFlip", Mutation::CrcBitFlip),
    ("PassTail", Mutation::PassTail),
];

fn mutation_by_name(name: &str) -> Option<Mutation> {
    MUTATIONS.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
}

/// Progress of a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Programs run so far (shrinking runs included).
    pub runs: u64,
    pub cases: u32,
}

/// A failing program, shrunk.
#[derive(Debug, Clone)]
pub struct Failure {
    pub program: Program,
    pub mismatch: Mismatch,
    /// Programs run before and while shrinking.
    pub runs: u64,
}

impl core::fmt::Display for Failure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} (program of {} ops after {} runs)",
            self.mismatch,
            self.program.ops.len(),
            self.runs
        )
    }
}

/// Run `cases` generated programs from `seed` against devices made by
/// `make`, comparing each with the reference model. On a mismatch proptest
/// shrinks the program and the minimal one is returned.
pub fn check(
    cases: u32,
    seed: u64,
    make: &dyn Fn() -> Box<dyn Dut>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Summary, Box<Failure>> {
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes);
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 1024,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, rng);
    let runs = Cell::new(0u64);
    let total = std::cell::RefCell::new(Summary::default());
    let progress = std::cell::RefCell::new(progress);
    let result = runner.run(&ops::program(MAX_OPS), |program| {
        runs.set(runs.get() + 1);
        (progress.borrow_mut())(Progress {
            runs: runs.get(),
            cases,
        });
        let mut d = make();
        match harness::run(&program, d.as_mut()) {
            Ok(s) => {
                total.borrow_mut().add(&s);
                Ok(())
            }
            Err(m) => Err(TestCaseError::fail(m.to_string())),
        }
    });
    match result {
        Ok(()) => Ok(total.into_inner()),
        Err(TestError::Fail(_, program)) => {
            let mut d = make();
            let mismatch = match harness::run(&program, d.as_mut()) {
                Err(m) => m,
                Ok(_) => Mismatch {
                    op: None,
                    detail:
                        "the shrunk program passed when run again: the device is not deterministic"
                            .into(),
                },
            };
            Err(Box::new(Failure {
                program,
                mismatch,
                runs: runs.get(),
            }))
        }
        Err(TestError::Abort(why)) => Err(Box::new(Failure {
            program: Program {
                setup: ops::setup_default(),
                ops: Vec::new(),
            },
            mismatch: Mismatch {
                op: None,
                detail: format!("proptest aborted: {why}"),
            },
            runs: runs.get(),
        })),
    }
}

/// A campaign against the device `dut` (see [`dut_by_name`]).
pub fn fuzz(
    cases: u32,
    seed: u64,
    dut: &str,
    progress: &mut dyn FnMut(Progress),
) -> Result<Summary, Box<Failure>> {
    // Fail early on an unknown name rather than inside the runner.
    if let Err(e) = dut_by_name(dut) {
        return Err(Box::new(Failure {
            program: Program {
                setup: ops::setup_default(),
                ops: Vec::new(),
            },
            mismatch: Mismatch {
                op: None,
                detail: e,
            },
            runs: 0,
        }));
    }
    let name = dut.to_string();
    let make = move || -> Box<dyn Dut> {
        match dut_by_name(&name) {
            Ok(d) => d,
            // Checked above; the name does not change.
            Err(_) => Box::new(ModelDut::new(ModelConfig::default())),
        }
    };
    check(cases, seed, &make, progress)
}

/// A saved failing program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Regression {
    /// The device it failed on (a [`dut_by_name`] name).
    pub dut: String,
    /// The mismatch as first reported.
    pub mismatch: String,
    pub program: Program,
}

/// Errors of saving and replaying regression files.
#[derive(Debug)]
pub enum RegressionError {
    Io(PathBuf, std::io::Error),
    Json(PathBuf, serde_json::Error),
    Device(String),
}

impl core::fmt::Display for RegressionError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RegressionError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            RegressionError::Json(p, e) => write!(f, "{}: {e}", p.display()),
            RegressionError::Device(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for RegressionError {}

/// Save a failure as `<dir>/<name>.json`, and, when the device can trace,
/// a waveform of the failing run beside it (`<name>.vcd`). Returns the
/// JSON path.
pub fn save_regression(
    dir: &Path,
    name: &str,
    dut: &str,
    failure: &Failure,
) -> Result<PathBuf, RegressionError> {
    fs::create_dir_all(dir).map_err(|e| RegressionError::Io(dir.to_path_buf(), e))?;
    let path = dir.join(format!("{name}.json"));
    let reg = Regression {
        dut: dut.to_string(),
        mismatch: failure.mismatch.to_string(),
        program: failure.program.clone(),
    };
    let json =
        serde_json::to_string_pretty(&reg).map_err(|e| RegressionError::Json(path.clone(), e))?;
    fs::write(&path, json + "\n").map_err(|e| RegressionError::Io(path.clone(), e))?;
    let mut d = dut_by_name(dut).map_err(RegressionError::Device)?;
    let vcd = dir.join(format!("{name}.vcd"));
    if d.trace(&vcd)
        .map_err(|e| RegressionError::Device(e.to_string()))?
    {
        // The run is for the waveform; its verdict is already known.
        let _ = harness::run(&failure.program, d.as_mut());
    }
    Ok(path)
}

/// Load a regression file.
pub fn load_regression(path: &Path) -> Result<Regression, RegressionError> {
    let text = fs::read_to_string(path).map_err(|e| RegressionError::Io(path.to_path_buf(), e))?;
    serde_json::from_str(&text).map_err(|e| RegressionError::Json(path.to_path_buf(), e))
}

/// Replay a saved program (`nicsim replay FILE`) on the device it names, or
/// on `dut` when given. `Ok(Err(mismatch))` means it still fails.
pub fn replay(
    path: &Path,
    dut: Option<&str>,
) -> Result<Result<Summary, Mismatch>, RegressionError> {
    let reg = load_regression(path)?;
    let name = dut.unwrap_or(&reg.dut);
    let mut d = dut_by_name(name).map_err(RegressionError::Device)?;
    Ok(harness::run(&reg.program, d.as_mut()))
}
