//! `bench`: measures the steps and `binlibdepcp` side by side with the
//! tools a reader already uses, and writes the results page of the book.
//!
//! Four comparisons run in one invocation, so that every ratio on the page
//! comes from numbers measured minutes apart on the same machine:
//!
//! 1. start-up of each step with its full set of namespaces running
//!    `/bin/true`, against `unshare(1)` doing the same work and against a
//!    plain fork and exec of `/bin/true`, timed by hyperfine;
//! 2. building jails with `binlibdepcp` against `ldd` and `cp -p` in a loop;
//! 3. listing libraries with `binlibdepcp --list`, `ldd`, `lddtree` and
//!    `libtree`, timed, and each compared with `ld.so --list` per binary;
//! 4. peak memory of `binlibdepcp` (GNU time) and the size of each binary.
//!
//! It is a benchmark, not a test: nothing here fails on a slow machine.
//! `--quick` runs the same code on a few binaries with few runs, builds
//! with the dev profile and writes to a temporary folder, which is what CI
//! runs to check that the benchmark still works. It needs root, because
//! the steps and `unshare` create namespaces.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

/// Folder of the page's raw data, relative to the workspace root.
const RAW_FOLDER: &str = "book/src/benchmarks";

/// The results page, relative to the workspace root.
const PAGE: &str = "book/src/benchmarks.md";

/// The command that regenerates the page, for the page itself.
const REGENERATE: &str = "cargo run --release -p xtask -- bench";

/// The glibc loader whose `--list` output is the reference for agreement.
const LOADER: &str = "/lib64/ld-linux-x86-64.so.2";

/// Folder whose dynamically linked executables are the test set.
const PROGRAM_FOLDER: &str = "/usr/bin";

/// Hostname given to `-u`, which needs one.
const HOSTNAME: &str = "bench";

/// lddtree is a Python script that needs Debian's own interpreter, which
/// has the `python3-pyelftools` module. Running it through
/// `/usr/bin/python3` keeps another `python3` earlier in `PATH` (pyenv,
/// a virtualenv) from breaking it.
const LDDTREE: [&str; 2] = ["/usr/bin/python3", "/usr/bin/lddtree"];

/// The shell way of filling a jail: for each binary, `ldd` lists its
/// libraries and `cp -p --parents` copies the binary and then them.
const SHELL_JAIL_SCRIPT: &str = r#"#!/bin/sh
# Usage: shell-jail.sh JAIL LIST, where LIST has one binary per line.
set -eu
jail=$1
list=$2
mkdir -p "$jail"
# cp 9.1 (Debian 12) fails with "'usr/bin': No such file or directory" when
# -p --parents creates the folders of an absolute source path, unless the
# current directory is /.
cd /
while read -r binary; do
    cp -p --parents "$binary" "$jail"
    # "name => /path (0x...)" and the interpreter line "/path (0x...)".
    ldd "$binary" |
        awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
        xargs -r cp -p --parents -t "$jail"
done < "$list"
"#;

/// The same two ways for one binary per jail, in one script so that
/// neither way starts more shells than the other. BINLIBDEPCP stands for
/// the built binary.
const FRESH_JAILS_SCRIPT: &str = r#"#!/bin/sh
# Usage: fresh-jails.sh binlibdepcp|shell FOLDER LIST: a new jail per binary.
set -eu
mode=$1
folder=$2
list=$3
# The same cp 9.1 failure as in shell-jail.sh.
cd /
number=0
while read -r binary; do
    number=$((number + 1))
    jail=$folder/$number
    mkdir -p "$jail"
    if [ "$mode" = binlibdepcp ]; then
        BINLIBDEPCP -q "$binary" "$jail"
    else
        cp -p --parents "$binary" "$jail"
        ldd "$binary" |
            awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
            xargs -r cp -p --parents -t "$jail"
    fi
done < "$list"
"#;

/// Settings that differ between the full run and `--quick`.
#[derive(Debug, Clone, Copy)]
struct Plan {
    quick: bool,
    /// Binaries taken from /usr/bin, or all of them.
    program_limit: Option<usize>,
    /// Binaries put into one fresh jail each.
    fresh_jails: usize,
    startup_warmup: u32,
    startup_runs: u32,
    /// Runs of each jail and listing command, which take seconds.
    batch_runs: u32,
}

impl Plan {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                quick,
                program_limit: Some(6),
                fresh_jails: 3,
                startup_warmup: 2,
                startup_runs: 5,
                batch_runs: 2,
            }
        } else {
            Self {
                quick,
                program_limit: None,
                fresh_jails: 20,
                startup_warmup: 30,
                startup_runs: 400,
                batch_runs: 5,
            }
        }
    }

    fn profile(self) -> &'static str {
        if self.quick { "dev" } else { "release" }
    }
}

/// Options of `bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Check that the benchmark runs: a few binaries, a few runs, the dev
    /// build, and the results in a temporary folder instead of the book
    #[arg(long)]
    quick: bool,

    /// Write the page and raw data into this folder instead
    #[arg(long, value_name = "DIR")]
    output: Option<PathBuf>,
}

/// Folders and settings of one benchmark run.
#[derive(Debug)]
struct Bench {
    plan: Plan,
    /// The built steps and `binlibdepcp`.
    bin_dir: PathBuf,
    /// The steps built as static executables (`+crt-static`).
    static_bin_dir: PathBuf,
    /// Scratch folder for jails and lists, removed at the end.
    work: PathBuf,
    /// Folder of the raw data files.
    raw: PathBuf,
    /// The results page.
    page: PathBuf,
}

impl Drop for Bench {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.work);
    }
}

impl Bench {
    fn binary(&self, name: &str) -> String {
        self.bin_dir.join(name).display().to_string()
    }

    /// Path of a raw data file, relative to the page for links.
    fn raw_file(&self, name: &str) -> PathBuf {
        self.raw.join(name)
    }
}

/// One command's timing from a hyperfine export, in seconds.
#[derive(Debug, Clone)]
struct Timing {
    name: String,
    command: String,
    median: f64,
    mean: f64,
    stddev: f64,
}

/// Runs every measurement and writes the page and the raw data.
pub fn run(args: &BenchArgs, root: &Path) -> Result<()> {
    let plan = Plan::new(args.quick);
    // `cargo run` adds its target and toolchain folders to LD_LIBRARY_PATH.
    // Every dynamically linked program measured here (unshare, the steps,
    // ldd) would then search those folders first, which costs dozens of
    // failed openat(2) calls per run and could change what the loader finds.
    // SAFETY: no other thread exists yet, so nothing reads the environment
    // while it changes.
    unsafe { std::env::remove_var("LD_LIBRARY_PATH") };
    check_root()?;
    check_tools()?;
    let bin_dir = build(root, plan.profile())?;
    let static_bin_dir = build_static_steps(root, plan.profile())?;

    let work = std::env::temp_dir().join(format!("xtask-bench-{}", std::process::id()));
    fs::create_dir_all(&work).with_context(|| format!("failed to create {}", work.display()))?;
    let (raw, page) = match (&args.output, plan.quick) {
        (Some(folder), _) => (folder.join("benchmarks"), folder.join("benchmarks.md")),
        (None, true) => {
            let folder = std::env::temp_dir().join("xtask-bench-quick");
            (folder.join("benchmarks"), folder.join("benchmarks.md"))
        }
        (None, false) => (root.join(RAW_FOLDER), root.join(PAGE)),
    };
    if raw.exists() {
        fs::remove_dir_all(&raw).with_context(|| format!("failed to remove {}", raw.display()))?;
    }
    fs::create_dir_all(&raw).with_context(|| format!("failed to create {}", raw.display()))?;
    let bench = Bench {
        plan,
        bin_dir,
        static_bin_dir,
        work,
        raw,
        page,
    };

    let load_before = read_load()?;
    let machine = describe_machine()?;
    let versions = tool_versions();
    let programs = find_programs(plan.program_limit)?;
    eprintln!("bench: {} dynamically linked programs", programs.len());
    let mut program_bytes = 0;
    let mut largest_program = (String::new(), 0);
    for program in &programs {
        let size = fs::metadata(program)
            .with_context(|| format!("failed to read {program}"))?
            .len();
        program_bytes += size;
        if size > largest_program.1 {
            largest_program = (program.clone(), size);
        }
    }

    let startup = measure_startup(&bench)?;
    let syscalls = count_startup_syscalls(&bench)?;
    let jails = measure_jails(&bench, &programs)?;
    let listing = measure_listing(&bench, &programs)?;
    let agreement = check_agreement(&bench, &programs)?;
    let memory = measure_memory(&bench, &programs)?;
    let sizes = binary_sizes(&bench)?;
    let load_after = read_load()?;

    let report = Report {
        date: first_line(&capture("date", &["-u", "+%Y-%m-%d %H:%M UTC"])?),
        machine,
        versions,
        load: (load_before, load_after),
        program_count: programs.len(),
        program_bytes,
        largest_program,
        startup,
        syscalls,
        jails,
        listing,
        agreement,
        memory,
        sizes,
    };
    let text = render_page(&bench, &report);
    fs::write(&bench.page, text)
        .with_context(|| format!("failed to write {}", bench.page.display()))?;
    println!(
        "wrote {} and the raw data in {}",
        bench.page.display(),
        bench.raw.display()
    );
    Ok(())
}

/// Fails unless this process runs as root, which the steps need.
fn check_root() -> Result<()> {
    let status =
        fs::read_to_string("/proc/self/status").context("failed to read /proc/self/status")?;
    let effective = status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .context("no Uid line in /proc/self/status")?;
    if effective != "0" {
        bail!("the benchmark creates namespaces, so it needs root: run it with sudo");
    }
    Ok(())
}

/// Fails, naming the Debian packages, when a tool the benchmark runs is
/// missing.
fn check_tools() -> Result<()> {
    let tools = [
        ("/usr/bin/hyperfine", "hyperfine"),
        ("/usr/bin/unshare", "util-linux"),
        ("/usr/bin/ldd", "libc-bin"),
        ("/usr/bin/lddtree", "pax-utils"),
        ("/usr/bin/libtree", "libtree"),
        ("/usr/bin/time", "time"),
        ("/usr/bin/strace", "strace"),
        ("/usr/bin/python3", "python3"),
        (LOADER, "libc6"),
    ];
    let missing: Vec<String> = tools
        .iter()
        .filter(|(path, _)| !Path::new(path).exists())
        .map(|(path, package)| format!("{path} (Debian package {package})"))
        .collect();
    if !missing.is_empty() {
        bail!(
            "the benchmark needs these programs, which are missing: {}; install them with \
             `apt-get install hyperfine pax-utils libtree time strace`",
            missing.join(", ")
        );
    }
    let probe = Command::new(LDDTREE[0])
        .args(&LDDTREE[1..])
        .arg("/usr/bin/true")
        .output()
        .context("failed to run lddtree")?;
    if !probe.status.success() {
        bail!(
            "lddtree fails on /usr/bin/true: {}; its module comes from the Debian package \
             python3-pyelftools",
            String::from_utf8_lossy(&probe.stderr).trim()
        );
    }
    Ok(())
}

/// Builds the steps and `binlibdepcp` with `profile` and returns the folder
/// of the binaries. The target folder is the one this program was built
/// in, so `CARGO_TARGET_DIR` is honoured.
fn build(root: &Path, profile: &str) -> Result<PathBuf> {
    let exe = std::env::current_exe().context("failed to find the running xtask binary")?;
    let target = exe
        .parent()
        .and_then(Path::parent)
        .context("the xtask binary is not inside a target folder")?
        .to_path_buf();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args(["build", "--quiet", "--profile", profile])
        .env("CARGO_TARGET_DIR", &target);
    for package in xtask::STEPS.iter().chain(&["binlibdepcp"]) {
        command.args(["-p", package]);
    }
    let status = command.status().context("failed to run cargo build")?;
    if !status.success() {
        bail!("cargo build --profile {profile} failed with {status}");
    }
    let folder = if profile == "dev" { "debug" } else { profile };
    Ok(target.join(folder))
}

/// Target triple for the static build. Cargo needs it spelled out so that
/// RUSTFLAGS reach only the target's crates, not the proc macros.
const STATIC_TARGET: &str = "x86_64-unknown-linux-gnu";

/// Builds the steps once more as static executables, into a target folder
/// of their own, and returns the folder of the binaries. A static step
/// starts without the dynamic loader mapping and relocating libc and
/// libgcc_s, so comparing the two builds shows what that costs.
fn build_static_steps(root: &Path, profile: &str) -> Result<PathBuf> {
    let exe = std::env::current_exe().context("failed to find the running xtask binary")?;
    let target = exe
        .parent()
        .and_then(Path::parent)
        .context("the xtask binary is not inside a target folder")?
        .join("static-steps");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args([
            "build",
            "--quiet",
            "--profile",
            profile,
            "--target",
            STATIC_TARGET,
        ])
        .env("CARGO_TARGET_DIR", &target)
        .env("RUSTFLAGS", "-C target-feature=+crt-static");
    for package in xtask::STEPS {
        command.args(["-p", package]);
    }
    let status = command.status().context("failed to run cargo build")?;
    if !status.success() {
        bail!("static cargo build --profile {profile} failed with {status}");
    }
    let folder = if profile == "dev" { "debug" } else { profile };
    Ok(target.join(STATIC_TARGET).join(folder))
}

/// Runs a program and returns its stdout, failing when it fails.
fn capture(program: &str, args: &[&str]) -> Result<String> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("failed to run {program}"))?;
    if !output.status.success() {
        bail!(
            "{program} {} failed with {}: {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").trim().to_string()
}

/// Returns the 1, 5 and 15 minute load averages as written in
/// /proc/loadavg.
fn read_load() -> Result<String> {
    let text = fs::read_to_string("/proc/loadavg").context("failed to read /proc/loadavg")?;
    Ok(text
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" "))
}

/// Returns rows of (what, value) describing the CPU, memory, kernel and
/// distribution.
fn describe_machine() -> Result<Vec<(String, String)>> {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").context("failed to read /proc/cpuinfo")?;
    let cpu = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or("unknown".to_string(), |(_, model)| model.trim().to_string());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let meminfo = fs::read_to_string("/proc/meminfo").context("failed to read /proc/meminfo")?;
    let memory_kib: u64 = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
        .context("failed to read /proc/sys/kernel/osrelease")?;
    let os_release = fs::read_to_string("/etc/os-release").unwrap_or_default();
    let distribution = os_release
        .lines()
        .find_map(|line| line.strip_prefix("PRETTY_NAME="))
        .map_or("unknown".to_string(), |name| {
            name.trim_matches('"').to_string()
        });
    Ok(vec![
        ("CPU".into(), cpu),
        ("Cores available".into(), cores.to_string()),
        (
            "Memory".into(),
            format!("{:.1} GiB", memory_kib as f64 / 1024.0 / 1024.0),
        ),
        ("Kernel".into(), kernel.trim().to_string()),
        ("Distribution".into(), distribution),
    ])
}

/// Returns (tool, version) rows. A tool whose version cannot be read is
/// listed as unknown rather than stopping the run.
fn tool_versions() -> Vec<(String, String)> {
    let probe = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .ok()
            .map(|output| {
                let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
                text.push_str(&String::from_utf8_lossy(&output.stderr));
                first_line(&text)
            })
            .filter(|line| !line.is_empty())
            .unwrap_or_else(|| "unknown".to_string())
    };
    let package = |name: &str| probe("dpkg-query", &["-W", "-f", "${Version}", name]);
    vec![
        ("hyperfine".into(), probe("hyperfine", &["--version"])),
        ("unshare".into(), probe("unshare", &["--version"])),
        ("ldd (glibc)".into(), probe("ldd", &["--version"])),
        ("lddtree (pax-utils)".into(), package("pax-utils")),
        ("libtree".into(), probe("libtree", &["--version"])),
        (
            "python3 for lddtree".into(),
            probe(LDDTREE[0], &["--version"]),
        ),
        ("cp (coreutils)".into(), probe("cp", &["--version"])),
        ("GNU time (Debian package)".into(), package("time")),
        ("strace".into(), probe("strace", &["-V"])),
        ("rustc".into(), probe("rustc", &["--version"])),
    ]
}

/// Lists the regular files in /usr/bin that are executable, x86_64 ELF and
/// have a `PT_INTERP`, which is what "dynamically linked executable" means
/// here. Symlinks are left out so that no file counts twice, and so are
/// names with whitespace, which the shell scripts split on. With a limit,
/// it takes that many spread evenly over the sorted list.
fn find_programs(limit: Option<usize>) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let entries =
        fs::read_dir(PROGRAM_FOLDER).with_context(|| format!("failed to list {PROGRAM_FOLDER}"))?;
    for entry in entries {
        let path = entry?.path();
        let Ok(metadata) = fs::symlink_metadata(&path) else {
            continue;
        };
        if !metadata.is_file() || metadata.permissions().mode() & 0o111 == 0 {
            continue;
        }
        let text = path.display().to_string();
        if text.chars().any(char::is_whitespace) {
            continue;
        }
        if has_interpreter(&path).unwrap_or(false) {
            found.push(text);
        }
    }
    found.sort();
    Ok(match limit {
        Some(limit) if limit < found.len() => spread(&found, limit),
        _ => found,
    })
}

/// Takes `count` items spread evenly over `items`.
fn spread(items: &[String], count: usize) -> Vec<String> {
    (0..count)
        .map(|index| items[index * items.len() / count].clone())
        .collect()
}

/// Reads whether `path` is a little-endian ELF64 file with a `PT_INTERP`
/// program header (elf(5)).
fn has_interpreter(path: &Path) -> Result<bool> {
    Ok(read_interpreter(path)?.is_some())
}

/// Reads the `PT_INTERP` string of a little-endian ELF64 file (elf(5)), or
/// None when the file is not one or has no interpreter.
fn read_interpreter(path: &Path) -> Result<Option<String>> {
    const PT_INTERP: u32 = 3;
    let mut file = fs::File::open(path)?;
    let mut header = [0u8; 64];
    if file.read_exact(&mut header).is_err() {
        return Ok(None);
    }
    // Magic, ELFCLASS64, ELFDATA2LSB.
    if header[..4] != *b"\x7fELF" || header[4] != 2 || header[5] != 1 {
        return Ok(None);
    }
    let table_offset = u64::from_le_bytes(header[0x20..0x28].try_into()?);
    let entry_size = u64::from(u16::from_le_bytes(header[0x36..0x38].try_into()?));
    let entry_count = u16::from_le_bytes(header[0x38..0x3a].try_into()?);
    for index in 0..u64::from(entry_count) {
        // p_type at 0, p_offset at 8 and p_filesz at 32 of an Elf64_Phdr.
        let mut entry = [0u8; 40];
        file.seek(SeekFrom::Start(table_offset + index * entry_size))?;
        file.read_exact(&mut entry)?;
        if u32::from_le_bytes(entry[0..4].try_into()?) != PT_INTERP {
            continue;
        }
        let offset = u64::from_le_bytes(entry[8..16].try_into()?);
        let size = u64::from_le_bytes(entry[32..40].try_into()?);
        let mut text = vec![0u8; usize::try_from(size)?];
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(&mut text)?;
        let text = text.split(|byte| *byte == 0).next().unwrap_or_default();
        return Ok(Some(String::from_utf8_lossy(text).into_owned()));
    }
    Ok(None)
}

/// Runs hyperfine without a shell on `commands` (name, command line),
/// exports its JSON as `file` in the raw folder and returns the timings.
fn hyperfine(
    bench: &Bench,
    file: &str,
    options: &[String],
    commands: &[(String, String)],
) -> Result<Vec<Timing>> {
    let export = bench.raw_file(file);
    let mut command = Command::new("hyperfine");
    command
        .args(["-N", "--style", "basic", "--export-json"])
        .arg(&export)
        .args(options)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    for (name, line) in commands {
        command.args(["--command-name", name, line]);
    }
    let status = command.status().context("failed to run hyperfine")?;
    if !status.success() {
        bail!("hyperfine failed with {status} while measuring {file}");
    }
    let text = fs::read_to_string(&export)
        .with_context(|| format!("failed to read {}", export.display()))?;
    let parsed: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", export.display()))?;
    let results = parsed["results"]
        .as_array()
        .with_context(|| format!("no results array in {}", export.display()))?;
    let number = |result: &Value, key: &str| {
        result[key]
            .as_f64()
            .with_context(|| format!("no {key} in {}", export.display()))
    };
    let mut timings = Vec::new();
    for ((name, line), result) in commands.iter().zip(results) {
        timings.push(Timing {
            name: name.clone(),
            command: line.clone(),
            median: number(result, "median")?,
            mean: number(result, "mean")?,
            stddev: number(result, "stddev")?,
        });
    }
    Ok(timings)
}

/// One step's start-up measured next to `unshare` and the floor.
#[derive(Debug)]
struct StartupGroup {
    label: String,
    floor: Timing,
    ours: Timing,
    ours_static: Timing,
    unshare: Timing,
}

/// Returns, for step 0 (no namespace) to 6, the step's options and the
/// `unshare` options that do the same work. Step 0 is step 1 without
/// options, which still clones a child, against `unshare --fork`.
fn startup_cases(jail: &str) -> Vec<(String, &'static str, Vec<String>, Vec<String>)> {
    let mut ours: Vec<String> = Vec::new();
    let mut theirs: Vec<String> = vec!["--fork".into()];
    let mut cases = vec![(
        "no namespace".to_string(),
        "step1-pid",
        ours.clone(),
        theirs.clone(),
    )];
    let additions: [(&str, &[&str], &[&str]); 6] = [
        ("+ PID", &["-p"], &["--pid"]),
        ("+ mount, /proc", &["-m"], &["--mount-proc"]),
        ("+ UTS", &["-u", HOSTNAME], &["--uts"]),
        ("+ network", &["-n"], &["--net"]),
        ("+ IPC", &["-i", "yes"], &["--ipc"]),
        ("+ chroot", &["-c", jail], &[]),
    ];
    for (index, (label, step_options, unshare_options)) in additions.iter().enumerate() {
        ours.extend(step_options.iter().map(|option| option.to_string()));
        theirs.extend(unshare_options.iter().map(|option| option.to_string()));
        let mut unshare_line = theirs.clone();
        if *label == "+ chroot" {
            unshare_line.push(format!("--root={jail}"));
        }
        cases.push((
            format!("step {} ({label})", index + 1),
            xtask::STEPS[index],
            ours.clone(),
            unshare_line,
        ));
    }
    cases
}

/// Makes a jail holding `/bin/true` for step 6, with `binlibdepcp`.
fn make_true_jail(bench: &Bench) -> Result<String> {
    let jail = bench.work.join("true-jail");
    let status = Command::new(bench.binary("binlibdepcp"))
        .args(["-q", "/bin/true"])
        .arg(&jail)
        .status()
        .context("failed to run binlibdepcp")?;
    if !status.success() {
        bail!(
            "binlibdepcp /bin/true {} failed with {status}",
            jail.display()
        );
    }
    // Both tools mount a new proc inside the jail, on this folder.
    fs::create_dir_all(jail.join("proc")).context("failed to create /proc in the jail")?;
    Ok(jail.display().to_string())
}

/// Times each step's start-up with hyperfine, in one invocation per step
/// with the floor and `unshare` beside it, so that each ratio compares
/// numbers measured seconds apart.
fn measure_startup(bench: &Bench) -> Result<Vec<StartupGroup>> {
    let jail = make_true_jail(bench)?;
    let options = vec![
        "--warmup".to_string(),
        bench.plan.startup_warmup.to_string(),
        "--runs".to_string(),
        bench.plan.startup_runs.to_string(),
    ];
    let mut groups = Vec::new();
    for (index, (label, step, ours, theirs)) in startup_cases(&jail).into_iter().enumerate() {
        eprintln!("bench: start-up, {label}");
        let ours_line = format!("{} {} /bin/true", bench.binary(step), ours.join(" "));
        let static_binary = bench.static_bin_dir.join(step);
        let static_line = format!("{} {} /bin/true", static_binary.display(), ours.join(" "));
        let theirs_line = format!("unshare {} /bin/true", theirs.join(" "));
        let commands = [
            ("fork+exec".to_string(), "/bin/true".to_string()),
            (step.to_string(), squeeze(&ours_line)),
            (format!("{step} (static)"), squeeze(&static_line)),
            ("unshare".to_string(), squeeze(&theirs_line)),
        ];
        let timings = hyperfine(bench, &format!("startup-{index}.json"), &options, &commands)?;
        let [floor, ours, ours_static, unshare]: [Timing; 4] = timings
            .try_into()
            .map_err(|_| anyhow::anyhow!("hyperfine returned the wrong number of results"))?;
        groups.push(StartupGroup {
            label,
            floor,
            ours,
            ours_static,
            unshare,
        });
    }
    Ok(groups)
}

/// Collapses runs of spaces left by an empty option list.
fn squeeze(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// System calls of one step and of `unshare` doing the same work.
#[derive(Debug)]
struct SyscallComparison {
    label: String,
    ours: BTreeMap<String, u32>,
    unshare: BTreeMap<String, u32>,
}

/// Traces each start-up case once with `strace -f` and counts the system
/// calls by name, every process included.
fn count_startup_syscalls(bench: &Bench) -> Result<Vec<SyscallComparison>> {
    let jail = bench.work.join("true-jail").display().to_string();
    let mut comparisons = Vec::new();
    let mut raw = serde_json::Map::new();
    for (label, step, ours, theirs) in startup_cases(&jail) {
        let step_path = bench.binary(step);
        let mut ours_command = vec![step_path.as_str()];
        ours_command.extend(ours.iter().map(String::as_str));
        ours_command.push("/bin/true");
        let mut theirs_command = vec!["unshare"];
        theirs_command.extend(theirs.iter().map(String::as_str));
        theirs_command.push("/bin/true");
        let ours = trace_syscalls(bench, &ours_command)?;
        let unshare = trace_syscalls(bench, &theirs_command)?;
        raw.insert(label.clone(), json!({ "step": ours, "unshare": unshare }));
        comparisons.push(SyscallComparison {
            label,
            ours,
            unshare,
        });
    }
    write_json(bench, "syscalls.json", &Value::Object(raw))?;
    Ok(comparisons)
}

/// Runs `command` under `strace -f` with the extra `options`, its output
/// discarded, and returns the trace that strace wrote.
fn run_strace(bench: &Bench, options: &[&str], command: &[&str]) -> Result<String> {
    let log = bench.work.join("strace.log");
    let status = Command::new("strace")
        .args(["-f", "-qq"])
        .args(options)
        .arg("-o")
        .arg(&log)
        .args(command)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("failed to run strace")?;
    if !status.success() {
        bail!("strace -f {} failed with {status}", command.join(" "));
    }
    fs::read_to_string(&log).with_context(|| format!("failed to read {}", log.display()))
}

/// Runs `command` under `strace -f` and counts its system calls by name.
fn trace_syscalls(bench: &Bench, command: &[&str]) -> Result<BTreeMap<String, u32>> {
    let text = run_strace(bench, &[], command)?;
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        // With -f and -o each line starts with the PID. A call that
        // blocked shows as "name(... <unfinished ...>" and later as
        // "<... name resumed>", and only the first counts.
        let call = line
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .trim_start();
        let Some((name, _)) = call.split_once('(') else {
            continue;
        };
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            *counts.entry(name.to_string()).or_insert(0) += 1;
        }
    }
    Ok(counts)
}

fn write_json(bench: &Bench, file: &str, value: &Value) -> Result<()> {
    let path = bench.raw_file(file);
    let text = serde_json::to_string_pretty(value)?;
    fs::write(&path, text + "\n").with_context(|| format!("failed to write {}", path.display()))
}

fn write_lines(path: &Path, lines: &[String]) -> Result<()> {
    let mut text = lines.join("\n");
    text.push('\n');
    fs::write(path, text).with_context(|| format!("failed to write {}", path.display()))
}

/// Jail building measured both ways, with what each jail ended up holding.
#[derive(Debug)]
struct JailResults {
    one_jail: Vec<Timing>,
    fresh_jails: Vec<Timing>,
    fresh_count: usize,
    /// (method, regular files, bytes, symlinks) of the one big jail.
    contents: Vec<(String, u64, u64, u64)>,
    scripts: Vec<(String, String)>,
    /// (method, fsync and fdatasync calls, seconds spent in them) while
    /// filling one fresh jail with the first sample program.
    syncs: Vec<(String, u64, f64)>,
    sync_program: String,
}

/// Times filling one jail with every program, and one fresh jail per
/// program for a sample, with `binlibdepcp` and with the shell script.
fn measure_jails(bench: &Bench, programs: &[String]) -> Result<JailResults> {
    let list = bench.work.join("programs.txt");
    write_lines(&list, programs)?;
    let sample = spread(programs, bench.plan.fresh_jails.min(programs.len()));
    let sample_list = bench.work.join("sample.txt");
    write_lines(&sample_list, &sample)?;

    let shell_script = bench.work.join("shell-jail.sh");
    fs::write(&shell_script, SHELL_JAIL_SCRIPT).context("failed to write shell-jail.sh")?;
    let ours_script_text = format!(
        "#!/bin/sh\n\
         # Usage: binlibdepcp-jail.sh JAIL LIST, where LIST has one binary per line.\n\
         set -eu\n\
         jail=$1\n\
         # The paths have no whitespace, so splitting the list is safe.\n\
         # shellcheck disable=SC2046\n\
         set -- $(cat \"$2\")\n\
         exec {} -q \"$@\" \"$jail\"\n",
        bench.binary("binlibdepcp")
    );
    let ours_script = bench.work.join("binlibdepcp-jail.sh");
    fs::write(&ours_script, &ours_script_text).context("failed to write binlibdepcp-jail.sh")?;
    // One fresh jail per line of LIST, numbered, with either script.
    let fresh_script_text = FRESH_JAILS_SCRIPT.replace("BINLIBDEPCP", &bench.binary("binlibdepcp"));
    let fresh_script = bench.work.join("fresh-jails.sh");
    fs::write(&fresh_script, &fresh_script_text).context("failed to write fresh-jails.sh")?;

    let path = |path: &Path| path.display().to_string();
    let one_jail = bench.work.join("one-jail");
    let fresh_folder = bench.work.join("fresh");
    let options = |jail: &Path| {
        vec![
            "--warmup".to_string(),
            "1".to_string(),
            "--runs".to_string(),
            bench.plan.batch_runs.to_string(),
            "--prepare".to_string(),
            format!("rm -rf {}", path(jail)),
        ]
    };

    eprintln!("bench: jails, every program into one");
    let one_jail_timings = hyperfine(
        bench,
        "jail-one.json",
        &options(&one_jail),
        &[
            (
                "binlibdepcp".to_string(),
                format!(
                    "sh {} {} {}",
                    path(&ours_script),
                    path(&one_jail),
                    path(&list)
                ),
            ),
            (
                "ldd + cp".to_string(),
                format!(
                    "sh {} {} {}",
                    path(&shell_script),
                    path(&one_jail),
                    path(&list)
                ),
            ),
        ],
    )?;
    let mut contents = Vec::new();
    for (method, script) in [("binlibdepcp", &ours_script), ("ldd + cp", &shell_script)] {
        let _ = fs::remove_dir_all(&one_jail);
        let status = Command::new("sh")
            .arg(script)
            .arg(&one_jail)
            .arg(&list)
            .status()
            .context("failed to run a jail script")?;
        if !status.success() {
            bail!("{} failed with {status}", script.display());
        }
        let (files, bytes, links) = count_tree(&one_jail)?;
        contents.push((method.to_string(), files, bytes, links));
    }

    eprintln!("bench: jails, one fresh jail per program");
    let fresh_timings = hyperfine(
        bench,
        "jail-fresh.json",
        &options(&fresh_folder),
        &[
            (
                "binlibdepcp".to_string(),
                format!(
                    "sh {} binlibdepcp {} {}",
                    path(&fresh_script),
                    path(&fresh_folder),
                    path(&sample_list)
                ),
            ),
            (
                "ldd + cp".to_string(),
                format!(
                    "sh {} shell {} {}",
                    path(&fresh_script),
                    path(&fresh_folder),
                    path(&sample_list)
                ),
            ),
        ],
    )?;
    let sync_jail = bench.work.join("sync-jail");
    let sync_list = bench.work.join("sync.txt");
    write_lines(&sync_list, &sample[..1])?;
    let mut syncs = Vec::new();
    for method in ["binlibdepcp", "shell"] {
        let _ = fs::remove_dir_all(&sync_jail);
        let (calls, seconds) = count_syncs(
            bench,
            &[
                "sh",
                &path(&fresh_script),
                method,
                &path(&sync_jail),
                &path(&sync_list),
            ],
        )?;
        let name = if method == "shell" {
            "ldd + cp"
        } else {
            method
        };
        syncs.push((name.to_string(), calls, seconds));
    }
    write_json(
        bench,
        "jail-sync.json",
        &json!(
            syncs
                .iter()
                .map(|(method, calls, seconds)| json!({
                    "method": method,
                    "program": sample[0],
                    "sync_calls": calls,
                    "sync_seconds": seconds,
                }))
                .collect::<Vec<_>>()
        ),
    )?;

    Ok(JailResults {
        syncs,
        sync_program: sample[0].clone(),
        one_jail: one_jail_timings,
        fresh_jails: fresh_timings,
        fresh_count: sample.len(),
        contents,
        scripts: vec![
            ("shell-jail.sh".to_string(), SHELL_JAIL_SCRIPT.to_string()),
            ("binlibdepcp-jail.sh".to_string(), ours_script_text),
            ("fresh-jails.sh".to_string(), fresh_script_text),
        ],
    })
}

/// Runs `command` under `strace -f -T` and returns its fsync(2) and
/// fdatasync(2) calls and the seconds spent in them.
fn count_syncs(bench: &Bench, command: &[&str]) -> Result<(u64, f64)> {
    let text = run_strace(bench, &["-T", "-e", "trace=fsync,fdatasync"], command)?;
    let (mut calls, mut seconds) = (0, 0.0);
    for line in text.lines().filter(|line| line.contains("sync(")) {
        calls += 1;
        // -T appends the time spent in the call as "<0.000123>".
        let spent = line
            .rsplit('<')
            .next()
            .and_then(|value| value.strip_suffix('>'))
            .and_then(|value| value.parse::<f64>().ok());
        seconds += spent.unwrap_or(0.0);
    }
    Ok((calls, seconds))
}

/// Counts regular files, their bytes, and symlinks under `folder`.
fn count_tree(folder: &Path) -> Result<(u64, u64, u64)> {
    let (mut files, mut bytes, mut links) = (0, 0, 0);
    let mut pending = vec![folder.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in fs::read_dir(&current)
            .with_context(|| format!("failed to list {}", current.display()))?
        {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_symlink() {
                links += 1;
            } else if kind.is_dir() {
                pending.push(entry.path());
            } else {
                files += 1;
                bytes += entry.metadata()?.len();
            }
        }
    }
    Ok((files, bytes, links))
}

/// Returns the listing tools, each as (name, command prefix before the
/// binaries).
fn listing_tools(bench: &Bench) -> Vec<(String, Vec<String>)> {
    vec![
        (
            "binlibdepcp --list".to_string(),
            vec![bench.binary("binlibdepcp"), "--list".to_string()],
        ),
        ("ldd".to_string(), vec!["ldd".to_string()]),
        (
            "lddtree".to_string(),
            LDDTREE.iter().map(ToString::to_string).collect(),
        ),
        (
            "libtree".to_string(),
            vec!["libtree".to_string(), "-p".to_string(), "-vv".to_string()],
        ),
    ]
}

/// Timings of the listing tools, and each batch run's exit status.
#[derive(Debug)]
struct ListingResults {
    timings: Vec<Timing>,
    statuses: Vec<(String, String)>,
    /// The same tools on `/usr/bin/true` alone: the fixed cost of a run.
    single: Vec<Timing>,
    /// (tool, read calls, bytes read, files opened) of one batch run.
    io: Vec<(String, u64, u64, u64)>,
}

/// Times each tool listing every program's libraries in one process (one
/// process per program for `ld.so --list`, which takes one program).
fn measure_listing(bench: &Bench, programs: &[String]) -> Result<ListingResults> {
    let list = bench.work.join("programs.txt");
    write_lines(&list, programs)?;
    let list = list.display().to_string();
    let mut commands: Vec<(String, String)> = listing_tools(bench)
        .into_iter()
        .map(|(name, prefix)| (name, format!("xargs -a {list} {}", prefix.join(" "))))
        .collect();
    commands.push((
        "ld.so --list".to_string(),
        format!("xargs -n 1 -a {list} {LOADER} --list"),
    ));

    // A tool that stops early would look fast, so the exit status of one
    // untimed run of each goes on the page. xargs exits 123 when any
    // invocation failed.
    let mut statuses = Vec::new();
    for (name, line) in &commands {
        let words: Vec<&str> = line.split_whitespace().collect();
        let status = Command::new(words[0])
            .args(&words[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .with_context(|| format!("failed to run {line}"))?;
        statuses.push((
            name.clone(),
            status.code().map_or("signal".into(), |c| c.to_string()),
        ));
    }

    eprintln!("bench: listing libraries");
    let options = vec![
        "--warmup".to_string(),
        "1".to_string(),
        "--runs".to_string(),
        bench.plan.batch_runs.to_string(),
        "--ignore-failure".to_string(),
    ];
    let timings = hyperfine(bench, "list.json", &options, &commands)?;

    eprintln!("bench: listing the libraries of one program");
    let mut single: Vec<(String, String)> = listing_tools(bench)
        .into_iter()
        .map(|(name, prefix)| (name, format!("{} /usr/bin/true", prefix.join(" "))))
        .collect();
    // binlibdepcp runs the loader once per run to read its search folders.
    single.push((
        "ld.so --list-diagnostics".to_string(),
        format!("{LOADER} --list-diagnostics"),
    ));
    let single_options = vec![
        "--warmup".to_string(),
        "5".to_string(),
        "--runs".to_string(),
        (bench.plan.startup_runs / 4).max(3).to_string(),
    ];
    let single = hyperfine(bench, "list-one.json", &single_options, &single)?;

    let mut io = Vec::new();
    let mut raw = Vec::new();
    for (name, prefix) in listing_tools(bench) {
        let mut command: Vec<&str> = prefix.iter().map(String::as_str).collect();
        command.extend(programs.iter().map(String::as_str));
        let (reads, bytes, opens) = count_io(bench, &command)?;
        raw.push(json!({ "tool": name, "read_calls": reads, "bytes_read": bytes, "openat_calls": opens }));
        io.push((name, reads, bytes, opens));
    }
    write_json(bench, "list-io.json", &Value::Array(raw))?;
    Ok(ListingResults {
        timings,
        statuses,
        single,
        io,
    })
}

/// Runs `command` under `strace -f` and returns its read(2) and pread64(2)
/// calls, the bytes they returned, and its openat(2) calls.
fn count_io(bench: &Bench, command: &[&str]) -> Result<(u64, u64, u64)> {
    let log = bench.work.join("io.log");
    Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=read,pread64,openat", "-o"])
        .arg(&log)
        .args(command)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("failed to run strace")?;
    let text =
        fs::read_to_string(&log).with_context(|| format!("failed to read {}", log.display()))?;
    let (mut reads, mut bytes, mut opens) = (0, 0, 0);
    for line in text.lines() {
        let call = line
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .trim_start();
        let result = line
            .rsplit(") = ")
            .next()
            .and_then(|value| value.split_whitespace().next()?.parse::<u64>().ok());
        if call.starts_with("openat(") {
            opens += 1;
        } else if call.starts_with("read(") || call.starts_with("pread64(") {
            reads += 1;
            bytes += result.unwrap_or(0);
        }
    }
    Ok((reads, bytes, opens))
}

/// Result of comparing one tool's library sets with the loader's.
#[derive(Debug)]
struct Agreement {
    tool: String,
    agreed: usize,
    /// (binary, only in the loader's set, only in the tool's set).
    differences: Vec<(String, Vec<String>, Vec<String>)>,
}

/// Runs each tool on each program alone and compares the set of library
/// files it resolves with the set from `ld.so --list`.
fn check_agreement(bench: &Bench, programs: &[String]) -> Result<Vec<Agreement>> {
    eprintln!("bench: agreement with ld.so --list");
    let tools = listing_tools(bench);
    let mut results: Vec<Agreement> = tools
        .iter()
        .map(|(name, _)| Agreement {
            tool: name.clone(),
            agreed: 0,
            differences: Vec::new(),
        })
        .collect();
    let mut csv = String::from("binary,tool,agrees,only_loader,only_tool\n");
    for program in programs {
        let interpreter = read_interpreter(Path::new(program))?
            .with_context(|| format!("{program} has no PT_INTERP"))?;
        let interpreter = canonical(&interpreter);
        let loader = library_set(
            &run_tool(&[LOADER, "--list", program]),
            parse_ldd,
            &interpreter,
        );
        for ((name, prefix), result) in tools.iter().zip(&mut results) {
            let mut command: Vec<&str> = prefix.iter().map(String::as_str).collect();
            command.push(program);
            let output = run_tool(&command);
            let parser = match name.as_str() {
                "ldd" => parse_ldd,
                "lddtree" => parse_lddtree,
                "libtree" => parse_libtree,
                _ => parse_binlibdepcp,
            };
            let found = library_set(&output, parser, &interpreter);
            let only_loader: Vec<String> = loader.difference(&found).cloned().collect();
            let only_tool: Vec<String> = found.difference(&loader).cloned().collect();
            let agrees = only_loader.is_empty() && only_tool.is_empty();
            writeln!(
                csv,
                "{program},{name},{agrees},{},{}",
                only_loader.join(" "),
                only_tool.join(" ")
            )?;
            if agrees {
                result.agreed += 1;
            } else {
                result
                    .differences
                    .push((program.clone(), only_loader, only_tool));
            }
        }
    }
    let path = bench.raw_file("agreement.csv");
    fs::write(&path, csv).with_context(|| format!("failed to write {}", path.display()))?;
    Ok(results)
}

/// Runs a listing tool and returns its stdout, or a marker line with the
/// exit status when it failed, so that a failure never agrees by accident.
fn run_tool(command: &[&str]) -> String {
    match Command::new(command[0])
        .args(&command[1..])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
    {
        Ok(output) if output.status.success() => String::from_utf8_lossy(&output.stdout).into(),
        Ok(output) => format!(
            "{}\n!failed: {}\n",
            String::from_utf8_lossy(&output.stdout),
            output.status
        ),
        Err(error) => format!("!failed: {error}\n"),
    }
}

fn canonical(path: &str) -> String {
    fs::canonicalize(path).map_or_else(|_| path.to_string(), |real| real.display().to_string())
}

/// Turns a tool's parsed entries into a set: paths resolved with
/// realpath(3), the interpreter left out (ldd and ld.so print it, libtree
/// does not), and failures kept as they are.
fn library_set(
    output: &str,
    parse: fn(&str) -> Vec<String>,
    interpreter: &str,
) -> BTreeSet<String> {
    let mut set: BTreeSet<String> = parse(output)
        .into_iter()
        .map(|entry| {
            if entry.starts_with('/') {
                canonical(&entry)
            } else {
                entry
            }
        })
        .filter(|entry| entry != interpreter)
        .collect();
    set.extend(
        output
            .lines()
            .filter(|line| line.starts_with("!failed"))
            .map(ToString::to_string),
    );
    set
}

/// Parses `ldd` and `ld.so --list`: `name => /path (0x...)`,
/// `name => not found`, `/path (0x...)`, and `linux-vdso.so.1 (0x...)`,
/// which is in the kernel, not a file.
fn parse_ldd(output: &str) -> Vec<String> {
    let mut entries = Vec::new();
    for line in output.lines().map(str::trim) {
        if let Some((name, target)) = line.split_once(" => ") {
            if target.starts_with('/') {
                entries.push(before_parenthesis(target));
            } else {
                entries.push(format!("not found: {}", name.trim()));
            }
        } else if line.starts_with('/') {
            entries.push(before_parenthesis(line));
        }
    }
    entries
}

/// Parses `lddtree`: the first line is the program, then `name => /path`
/// or `name => None` when not found, indented by depth.
fn parse_lddtree(output: &str) -> Vec<String> {
    output
        .lines()
        .skip(1)
        .filter_map(|line| line.trim().split_once(" => "))
        .map(|(name, target)| {
            if target.starts_with('/') {
                target.trim().to_string()
            } else {
                format!("not found: {}", name.trim())
            }
        })
        .collect()
}

/// Parses `libtree -p`: the first line is the program, then tree-drawn
/// lines of `/path [rule]`, or `name not found` with the folders searched.
fn parse_libtree(output: &str) -> Vec<String> {
    output
        .lines()
        .skip(1)
        .filter(|line| !line.starts_with('!'))
        .filter_map(|line| {
            let entry = line.trim_start_matches([' ', '│', '├', '└', '─']);
            let word = entry.split_whitespace().next()?;
            if word.starts_with('/') {
                Some(word.to_string())
            } else if entry.contains("not found") {
                Some(format!("not found: {word}"))
            } else {
                None
            }
        })
        .collect()
}

/// Parses `binlibdepcp --list`: the first line is the program, then the
/// interpreter as `/path (PT_INTERP)` and libraries as
/// `name => /path (rule)` or `name => not found`.
fn parse_binlibdepcp(output: &str) -> Vec<String> {
    let body: String = output
        .lines()
        .skip(1)
        .map(|line| format!("{line}\n"))
        .collect();
    parse_ldd(&body)
}

fn before_parenthesis(text: &str) -> String {
    text.split(" (").next().unwrap_or(text).trim().to_string()
}

/// Peak resident memory of one command, from GNU time.
#[derive(Debug)]
struct MemoryUse {
    what: String,
    max_rss_kib: u64,
}

/// Measures the maximum resident set size of `binlibdepcp` on the two
/// largest runs, and of `libtree` listing the same programs for scale.
fn measure_memory(bench: &Bench, programs: &[String]) -> Result<Vec<MemoryUse>> {
    eprintln!("bench: peak memory");
    let binlibdepcp = bench.binary("binlibdepcp");
    let jail = bench.work.join("memory-jail").display().to_string();
    let _ = fs::remove_dir_all(&jail);
    let mut cases: Vec<(String, Vec<String>)> = vec![
        (
            format!("binlibdepcp --list, {} programs", programs.len()),
            vec![binlibdepcp.clone(), "--list".into()],
        ),
        (
            format!("binlibdepcp -q, {} programs into one jail", programs.len()),
            vec![binlibdepcp, "-q".into()],
        ),
        (
            format!("libtree -p -vv, {} programs", programs.len()),
            vec!["libtree".into(), "-p".into(), "-vv".into()],
        ),
    ];
    cases[1].1.extend(programs.iter().cloned());
    cases[1].1.push(jail);
    for (index, (_, command)) in cases.iter_mut().enumerate() {
        if index != 1 {
            command.extend(programs.iter().cloned());
        }
    }

    let report = bench.work.join("time.txt");
    let mut results = Vec::new();
    let mut raw = Vec::new();
    for (what, command) in cases {
        let status = Command::new("/usr/bin/time")
            .arg("-v")
            .arg("-o")
            .arg(&report)
            .args(&command)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .context("failed to run /usr/bin/time")?;
        let text = fs::read_to_string(&report)
            .with_context(|| format!("failed to read {}", report.display()))?;
        let max_rss_kib = text
            .lines()
            .find_map(|line| {
                line.trim()
                    .strip_prefix("Maximum resident set size (kbytes):")
            })
            .and_then(|value| value.trim().parse().ok())
            .with_context(|| format!("no maximum resident set size in {}", report.display()))?;
        raw.push(json!({
            "what": what,
            "command": format!("/usr/bin/time -v {} ...", command[..command.len().min(3)].join(" ")),
            "exit_status": status.code(),
            "max_rss_kib": max_rss_kib,
        }));
        results.push(MemoryUse { what, max_rss_kib });
    }
    write_json(bench, "memory.json", &Value::Array(raw))?;
    Ok(results)
}

/// Returns the size in bytes of each built binary, as built (not stripped
/// further).
fn binary_sizes(bench: &Bench) -> Result<Vec<(String, u64)>> {
    let mut sizes = Vec::new();
    for name in xtask::STEPS.iter().chain(&["binlibdepcp"]) {
        let path = bench.bin_dir.join(name);
        let size = fs::metadata(&path)
            .with_context(|| format!("failed to read {}", path.display()))?
            .len();
        sizes.push((name.to_string(), size));
    }
    let raw: serde_json::Map<String, Value> = sizes
        .iter()
        .map(|(name, size)| (name.clone(), json!(size)))
        .collect();
    write_json(bench, "sizes.json", &Value::Object(raw))?;
    Ok(sizes)
}

/// Everything the page shows.
#[derive(Debug)]
struct Report {
    date: String,
    machine: Vec<(String, String)>,
    versions: Vec<(String, String)>,
    load: (String, String),
    program_count: usize,
    /// Total size of the programs, and the largest one with its size.
    program_bytes: u64,
    largest_program: (String, u64),
    startup: Vec<StartupGroup>,
    syscalls: Vec<SyscallComparison>,
    jails: JailResults,
    listing: ListingResults,
    agreement: Vec<Agreement>,
    memory: Vec<MemoryUse>,
    sizes: Vec<(String, u64)>,
}

fn milliseconds(seconds: f64) -> String {
    format!("{:.2}", seconds * 1000.0)
}

/// Formats a ratio as a signed percentage difference: 1.04 is "+4.0 %".
fn percent(ratio: f64) -> String {
    format!("{:+.1} %", (ratio - 1.0) * 100.0)
}

/// Renders the results page. Every number on it comes from `report`, and
/// the prose is written so that it stays true whatever the numbers are.
fn render_page(bench: &Bench, report: &Report) -> String {
    let mut page = String::new();
    render_header(&mut page, bench, report);
    render_startup(&mut page, report);
    render_jails(&mut page, report);
    render_listing(&mut page, report);
    render_memory(&mut page, report);
    page
}

fn render_header(page: &mut String, bench: &Bench, report: &Report) {
    let _ = writeln!(page, "# Benchmarks\n");
    let _ = writeln!(
        page,
        "This appendix compares the steps with `unshare(1)`, and `binlibdepcp` with the \
         shell recipe it replaces and with other tools that list libraries. `{REGENERATE}` \
         (as root) measured everything on this page in one run, on {}, and wrote the raw \
         numbers into [benchmarks/](benchmarks/sizes.json) next to this page. Times are \
         hyperfine medians; each ratio compares two commands measured in the same \
         hyperfine invocation.\n",
        report.date
    );
    if bench.plan.quick {
        let _ = writeln!(
            page,
            "**This is a quick run** (`--quick`): a few programs, a few runs and the dev \
             build. It only checks that the benchmark works, and its numbers mean \
             nothing.\n"
        );
    }
    let _ = writeln!(page, "## Machine and tools\n");
    let _ = writeln!(page, "| What | Value |\n|---|---|");
    for (what, value) in &report.machine {
        let _ = writeln!(page, "| {what} | {value} |");
    }
    let _ = writeln!(
        page,
        "| Load average (1, 5, 15 min) before and after | {} / {} |",
        report.load.0, report.load.1
    );
    let _ = writeln!(page, "\n| Tool | Version |\n|---|---|");
    for (tool, version) in &report.versions {
        let _ = writeln!(page, "| {tool} | {} |", version.replace('|', "\\|"));
    }
    let _ = writeln!(
        page,
        "\nCaveat: a load average above zero means other work shared the CPU during the \
         run (on the machine above, other builds). hyperfine's medians resist that \
         better than means, but a few percent between two commands is within the noise \
         of such a machine; the standard deviations are in the JSON files.\n"
    );
}

fn render_startup(page: &mut String, report: &Report) {
    let _ = writeln!(page, "## Start-up against unshare\n");
    let _ = writeln!(
        page,
        "Each row runs `/bin/true` with the step's full set of namespaces, and `unshare` \
         with the options that create the same namespaces. Step 0 is step 1 without \
         options: it still clones a child, as `unshare --fork` forks one. Step 5's full \
         set is `-i yes`: its message queue demo then finds no queue in the new IPC \
         namespace, prints one line and sends nothing, so it reads no stdin (hyperfine \
         gives it `/dev/null`). Step 6 and `unshare --root` change root into a jail that \
         `binlibdepcp /bin/true` made. `unshare` sets no hostname, so the step's \
         sethostname(2) is extra work. The floor is hyperfine's own fork and exec of \
         `/bin/true`, measured in each invocation. The static step is the same source \
         built with `RUSTFLAGS=\"-C target-feature=+crt-static\"`, so it starts without \
         the dynamic loader mapping and relocating libc and libgcc_s; `unshare` and \
         `/bin/true` stay dynamically linked.\n"
    );
    let _ = writeln!(
        page,
        "| Case | Step (ms) | unshare (ms) | Step vs unshare | Static step vs unshare | \
         Step − unshare (ms) | Step over floor (ms) | unshare over floor (ms) | Floor (ms) |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for group in &report.startup {
        let ratio = group.ours.median / group.unshare.median;
        let static_ratio = group.ours_static.median / group.unshare.median;
        let _ = writeln!(
            page,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            group.label,
            milliseconds(group.ours.median),
            milliseconds(group.unshare.median),
            percent(ratio),
            percent(static_ratio),
            milliseconds(group.ours.median - group.unshare.median),
            milliseconds(group.ours.median - group.floor.median),
            milliseconds(group.unshare.median - group.floor.median),
            milliseconds(group.floor.median),
        );
    }

    let _ = writeln!(
        page,
        "\nWhat each namespace adds: the difference between a step's median and the \
         previous row's, for both tools. Differences between rows come from separate \
         hyperfine invocations, so they are noisier than the ratios above, and a \
         negative value means the namespace costs less than that noise.\n"
    );
    let _ = writeln!(
        page,
        "| Namespace | Step adds (ms) | unshare adds (ms) |\n|---|---:|---:|"
    );
    for pair in report.startup.windows(2) {
        let _ = writeln!(
            page,
            "| {} | {} | {} |",
            pair[1].label,
            milliseconds(pair[1].ours.median - pair[0].ours.median),
            milliseconds(pair[1].unshare.median - pair[0].unshare.median),
        );
    }

    let behind: Vec<&StartupGroup> = report
        .startup
        .iter()
        .filter(|group| group.ours.median > group.unshare.median * 1.05)
        .collect();
    let _ = writeln!(page, "\n### Where the steps are behind, and why\n");
    if behind.is_empty() {
        let _ = writeln!(
            page,
            "Every step is within 5 % of `unshare` in this run (or faster).\n"
        );
    } else {
        let names: Vec<String> = behind
            .iter()
            .map(|group| {
                format!(
                    "{} ({})",
                    group.label,
                    percent(group.ours.median / group.unshare.median)
                )
            })
            .collect();
        let _ = writeln!(
            page,
            "More than 5 % slower than `unshare` in this run: {}.\n",
            names.join(", ")
        );
    }
    let gaps: Vec<f64> = report
        .startup
        .iter()
        .map(|group| group.ours.median - group.unshare.median)
        .collect();
    if let Some((first, rest)) = gaps.split_first() {
        let low = rest.iter().copied().fold(f64::INFINITY, f64::min);
        let high = rest.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let _ = writeln!(
            page,
            "The step is {} ms slower without any namespace, and between {} and {} ms \
             slower with namespaces. Where that range stays near the first figure, the \
             gap is the steps' fixed work per run rather than the namespaces, whose \
             kernel work is the same for both tools; where a row stands out, compare it \
             with the standard deviations in its JSON file before reading more into it, \
             because a busy machine shifts single invocations by milliseconds.\n",
            milliseconds(*first),
            milliseconds(low),
            milliseconds(high)
        );
    }
    let static_behind: Vec<String> = report
        .startup
        .iter()
        .filter(|group| group.ours_static.median > group.unshare.median * 1.05)
        .map(|group| group.label.clone())
        .collect();
    let static_summary = if static_behind.is_empty() {
        "within 5 % of `unshare` in every row".to_string()
    } else {
        format!("more than 5 % behind in: {}", static_behind.join(", "))
    };
    let _ = writeln!(
        page,
        "Built as static executables, the same steps are {static_summary}. The \
         difference between the two step columns comes mostly from the dynamic loader at \
         each start of the step's own binary, before `main` runs.\n"
    );
    let _ = writeln!(
        page,
        "The steps do more than `unshare` on purpose. Before the clone the parent blocks \
         signals and opens a signalfd, becomes a child subreaper, makes a pipe that holds \
         the child until the parent is ready, and maps the child's stack with a guard \
         page. The child sets a parent-death signal and waits on the pipe. After the \
         command ends the parent reads `/proc/thread-self/children` to kill leftovers. \
         Step 5 and 6 also create and remove a POSIX message queue. The table counts \
         the system calls of one run of each, traced with `strace -f` (every process, \
         `/bin/true` included), and lists the calls the step makes more often than \
         `unshare`.\n"
    );
    let _ = writeln!(
        page,
        "| Case | Step calls | unshare calls | Calls the step makes more often |\n|---|---:|---:|---|"
    );
    for comparison in &report.syscalls {
        let total = |counts: &BTreeMap<String, u32>| counts.values().sum::<u32>();
        let mut extra: Vec<(i64, &String)> = comparison
            .ours
            .iter()
            .map(|(name, count)| {
                let theirs = comparison.unshare.get(name).copied().unwrap_or(0);
                (i64::from(*count) - i64::from(theirs), name)
            })
            .filter(|(difference, _)| *difference > 0)
            .collect();
        extra.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        let listed: Vec<String> = extra
            .iter()
            .map(|(difference, name)| format!("{name} +{difference}"))
            .collect();
        let _ = writeln!(
            page,
            "| {} | {} | {} | {} |",
            comparison.label,
            total(&comparison.ours),
            total(&comparison.unshare),
            listed.join(", ")
        );
    }
    let _ = writeln!(
        page,
        "\nThe totals are close, because `unshare` opens about two dozen locale \
         files at start-up (setlocale(3)), which the steps do not, so the count alone \
         does not explain the gap. The \
         step's extra calls include a second process handshake (the start pipe) that \
         makes the parent and the child wait for each other once, which costs a \
         scheduler round trip on a busy machine. Raw data: [startup-0.json](benchmarks/startup-0.json) to \
         [startup-6.json](benchmarks/startup-6.json), \
         [syscalls.json](benchmarks/syscalls.json).\n"
    );
    let _ = writeln!(
        page,
        "Commands of the last row, as hyperfine ran them (`-N`, no shell):\n"
    );
    let _ = writeln!(page, "```text");
    if let Some(last) = report.startup.last() {
        for timing in [&last.floor, &last.ours, &last.ours_static, &last.unshare] {
            let _ = writeln!(page, "{}", redact_paths(&timing.command));
        }
    }
    let _ = writeln!(page, "```\n");
}

fn render_jails(page: &mut String, report: &Report) {
    let jails = &report.jails;
    let _ = writeln!(page, "## Building jails against ldd and cp\n");
    let _ = writeln!(
        page,
        "The shell way below is the usual recipe: for each binary, copy it with \
         `cp -p --parents`, list its libraries with `ldd`, and copy them. Both ways run \
         from the same list of {} dynamically linked programs of /usr/bin (regular \
         files with a `PT_INTERP`), first all into one jail, then {} of them each into \
         a fresh jail. hyperfine removes the jails before each run.\n",
        report.program_count, jails.fresh_count
    );
    let _ = writeln!(
        page,
        "| Case | binlibdepcp (ms) | ldd + cp (ms) | ldd + cp ÷ binlibdepcp |\n\
         |---|---:|---:|---:|"
    );
    for (label, timings) in [
        (
            format!("{} programs, one jail", report.program_count),
            &jails.one_jail,
        ),
        (
            format!("{} programs, a jail each", jails.fresh_count),
            &jails.fresh_jails,
        ),
    ] {
        let _ = writeln!(
            page,
            "| {label} | {} | {} | {:.2} x |",
            milliseconds(timings[0].median),
            milliseconds(timings[1].median),
            timings[1].median / timings[0].median
        );
    }
    let speedups = [
        jails.one_jail[1].median / jails.one_jail[0].median,
        jails.fresh_jails[1].median / jails.fresh_jails[0].median,
    ];
    let verdict = |speedup: f64| {
        if speedup >= 5.0 {
            "at least 5 times faster, as intended"
        } else if speedup > 1.0 {
            "faster, but short of 5 times"
        } else {
            "slower"
        }
    };
    let _ = writeln!(
        page,
        "\nInto one jail `binlibdepcp` is {}; with a jail per program it is {}. With \
         a jail per program, the fixed work of each run weighs more: `binlibdepcp` \
         starts the loader once per run (`ld.so --list-diagnostics`), and both ways \
         copy the same bytes. Whether either forces its copies to disk with \
         fsync(2), traced while filling one fresh jail with {} (`strace -f -T -e \
         trace=fsync,fdatasync`):\n",
        verdict(speedups[0]),
        verdict(speedups[1]),
        jails.sync_program
    );
    let _ = writeln!(
        page,
        "| Method | fsync calls | ms spent in them |\n|---|---:|---:|"
    );
    for (method, calls, seconds) in &jails.syncs {
        let _ = writeln!(page, "| {method} | {calls} | {} |", milliseconds(*seconds));
    }
    let _ = writeln!(
        page,
        "\nThe one jail held afterwards (the shell way copies symlinked paths as files, \
         and `binlibdepcp` also copies `/etc/ld.so.cache`):\n"
    );
    let _ = writeln!(
        page,
        "| Method | Files | MiB | Symlinks |\n|---|---:|---:|---:|"
    );
    for (method, files, bytes, links) in &jails.contents {
        let _ = writeln!(
            page,
            "| {method} | {files} | {:.1} | {links} |",
            *bytes as f64 / 1024.0 / 1024.0
        );
    }
    let _ = writeln!(
        page,
        "\nThe scripts, with `binlibdepcp` standing for the built binary's path. Raw \
         data: [jail-one.json](benchmarks/jail-one.json), \
         [jail-fresh.json](benchmarks/jail-fresh.json), \
         [jail-sync.json](benchmarks/jail-sync.json).\n"
    );
    for (name, text) in &jails.scripts {
        let _ = writeln!(page, "`{name}`:\n\n```sh\n{}```\n", redact_paths(text));
    }
}

/// Replaces the scratch and target folders in a command with short
/// names, so that the page shows commands a reader can retype.
fn redact_paths(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            let quote = word.ends_with('"');
            let bare = word.trim_end_matches('"');
            if bare.contains("/xtask-bench-") && bare.ends_with("/true-jail") {
                format!("{}JAIL", &bare[..bare.find('/').unwrap_or(0)])
            } else if bare.starts_with('/') && bare.contains("/target") {
                let name = bare.rsplit('/').next().unwrap_or(bare);
                format!("{name}{}", if quote { "\"" } else { "" })
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn render_listing(page: &mut String, report: &Report) {
    let listing = &report.listing;
    let _ = writeln!(
        page,
        "## Listing libraries against ldd, lddtree and libtree\n"
    );
    let _ = writeln!(
        page,
        "Each tool lists the libraries of all {} programs in one process, fed by \
         `xargs -a LIST`; `ld.so --list` takes one program, so it runs once per program. \
         `ldd` is a shell script that runs the loader once per program too. \
         `libtree` runs with `-p -vv` so that it prints paths and does not hide libc \
         and the other libraries it skips by default; lddtree runs through Debian's \
         `/usr/bin/python3`.\n",
        report.program_count
    );
    let libtree = listing
        .timings
        .iter()
        .find(|timing| timing.name == "libtree")
        .map_or(f64::NAN, |timing| timing.median);
    let _ = writeln!(
        page,
        "| Tool | Median (ms) | Mean ± σ (ms) | Relative to libtree | Exit status |\n\
         |---|---:|---:|---:|---:|"
    );
    for (timing, (_, status)) in listing.timings.iter().zip(&listing.statuses) {
        let _ = writeln!(
            page,
            "| {} | {} | {} ± {} | {:.2} x | {status} |",
            timing.name,
            milliseconds(timing.median),
            milliseconds(timing.mean),
            milliseconds(timing.stddev),
            timing.median / libtree
        );
    }
    let _ = writeln!(
        page,
        "\nAn exit status of 123 is xargs saying that some invocation failed; such a \
         tool still listed the other programs. The commands (LIST is the file of \
         programs):\n"
    );
    let _ = writeln!(page, "```text");
    for timing in &listing.timings {
        let _ = writeln!(page, "{}", shorten_list(&redact_paths(&timing.command)));
    }
    let _ = writeln!(page, "```\n");

    let _ = writeln!(
        page,
        "The same tools on `/usr/bin/true` alone, which shows the fixed cost of one \
         run. `binlibdepcp` runs `ld.so --list-diagnostics` once per run to read the \
         loader's search folders, so that row is part of its fixed cost. Raw data: \
         [list-one.json](benchmarks/list-one.json).\n"
    );
    let _ = writeln!(page, "| Command | Median (ms) |\n|---|---:|");
    for timing in &listing.single {
        let _ = writeln!(
            page,
            "| `{}` | {} |",
            redact_paths(&timing.command),
            milliseconds(timing.median)
        );
    }
    let _ = writeln!(
        page,
        "\nThe file reading of one batch run of each tool, counted with \
         `strace -f -e trace=read,pread64,openat` (the {} programs themselves add up to \
         {:.1} MiB). Raw data: [list-io.json](benchmarks/list-io.json).\n",
        report.program_count,
        report.program_bytes as f64 / 1024.0 / 1024.0
    );
    let _ = writeln!(
        page,
        "| Tool | read calls | MiB read | openat calls |\n|---|---:|---:|---:|"
    );
    for (tool, reads, bytes, opens) in &listing.io {
        let _ = writeln!(
            page,
            "| {tool} | {reads} | {:.1} | {opens} |",
            *bytes as f64 / 1024.0 / 1024.0
        );
    }
    let ours = listing
        .timings
        .first()
        .map_or(f64::NAN, |timing| timing.median);
    let verdict = if ours < libtree {
        "`binlibdepcp --list` is faster than `libtree` in this run."
    } else {
        "`binlibdepcp --list` is slower than `libtree` in this run. Compare the \
         read and openat columns of the table above, and the start of one run in the \
         table before it, to see where the time goes."
    };
    let _ = writeln!(page, "\n{verdict}\n");

    let _ = writeln!(page, "### Agreement with the loader\n");
    let _ = writeln!(
        page,
        "For each program alone, each tool's output is parsed into the set of library \
         files it resolved, every path passed through realpath(3), and compared with \
         the set from `{LOADER} --list PROGRAM`. The interpreter is left out of every \
         set, because `libtree` does not print it, and `linux-vdso.so.1` is not a file. \
         A library that is not found counts by name, and a tool that fails on a program \
         disagrees.\n"
    );
    let _ = writeln!(page, "| Tool | Agrees with ld.so --list |\n|---|---:|");
    for agreement in &report.agreement {
        let _ = writeln!(
            page,
            "| {} | {} of {} |",
            agreement.tool, agreement.agreed, report.program_count
        );
    }
    let shown: Vec<String> =
        report
            .agreement
            .iter()
            .flat_map(|agreement| {
                agreement.differences.iter().take(5).map(
                    move |(program, only_loader, only_tool)| {
                        format!(
                            "| {} | {program} | {} | {} |",
                            agreement.tool,
                            only_loader.join(" "),
                            only_tool.join(" ")
                        )
                    },
                )
            })
            .collect();
    if !shown.is_empty() {
        let _ = writeln!(
            page,
            "\nThe first disagreements of each tool (all of them are in \
             [agreement.csv](benchmarks/agreement.csv)):\n"
        );
        let _ = writeln!(
            page,
            "| Tool | Program | Only in ld.so --list | Only in the tool |\n|---|---|---|---|"
        );
        for row in shown {
            let _ = writeln!(page, "{row}");
        }
    }
    let _ = writeln!(page, "\nRaw data: [list.json](benchmarks/list.json).\n");
}

/// Replaces the scratch path of the program list with LIST.
fn shorten_list(command: &str) -> String {
    command
        .split(' ')
        .map(|word| {
            if word.ends_with("programs.txt") {
                "LIST"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn render_memory(page: &mut String, report: &Report) {
    let _ = writeln!(page, "## Peak memory and size\n");
    let _ = writeln!(
        page,
        "Maximum resident set size from GNU time (`/usr/bin/time -v`), with every \
         program on one command line:\n"
    );
    let _ = writeln!(page, "| Run | Max RSS (MiB) |\n|---|---:|");
    for memory in &report.memory {
        let _ = writeln!(
            page,
            "| {} | {:.1} |",
            memory.what,
            memory.max_rss_kib as f64 / 1024.0
        );
    }
    let largest_kib = report.largest_program.1 / 1024;
    let peak_kib = report
        .memory
        .iter()
        .filter(|memory| memory.what.starts_with("binlibdepcp"))
        .map(|memory| memory.max_rss_kib)
        .max()
        .unwrap_or(0);
    let reading = if peak_kib > largest_kib {
        "`binlibdepcp`'s peak is above that size, as for a tool that holds whole \
         files in memory while it parses them."
    } else {
        "`binlibdepcp`'s peak stays below that size, because it reads only the \
         parts of each file that the loader reads."
    };
    let _ = writeln!(
        page,
        "\nFor scale: the largest of the programs, {}, is {:.1} MiB. {reading}\n",
        report.largest_program.0,
        report.largest_program.1 as f64 / 1024.0 / 1024.0
    );
    let _ = writeln!(
        page,
        "Size of each binary as the build writes it (not stripped further):\n"
    );
    let _ = writeln!(page, "| Binary | KiB |\n|---|---:|");
    for (name, size) in &report.sizes {
        let _ = writeln!(page, "| {name} | {} |", size / 1024);
    }
    let _ = writeln!(
        page,
        "\nRaw data: [memory.json](benchmarks/memory.json), \
         [sizes.json](benchmarks/sizes.json)."
    );
}
