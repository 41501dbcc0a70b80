//! Step 4: add a network namespace.
//!
//! This step adds `-n`, a new network namespace (`CLONE_NEWNET`, see
//! network_namespaces(7)). It has its own network devices, addresses,
//! routes, firewall rules and sockets. A new one holds only the loopback
//! device `lo`, and `lo` starts down. The child needs to do nothing for
//! it: the clone flag alone cuts the command off from the host's network.
//!
//! Run it as root:
//!
//! ```text
//! cargo run -p step4-net -- -n ip link
//! ```
//!
//! Left to later steps: IPC objects and the root directory are still the
//! host's.

use std::ffi::{CString, OsString};
use std::num::NonZeroUsize;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::ptr::NonNull;

use anyhow::{Context, Result, bail};
use clap::Parser;
use clap::builder::{OsStringValueParser, TypedValueParser};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::mount::{MsFlags, mount};
use nix::sched::{CloneFlags, clone};
use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, mprotect, munmap};
use nix::sys::prctl;
use nix::sys::signal::{SigHandler, SigSet, SigmaskHow, Signal, kill, signal, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::unistd::{Pid, execve, getpid, pipe2, read, sethostname, write};

// ANCHOR: constants
/// Exit status when this tool fails, rather than the command. Container
/// runtimes such as Docker and Podman use 125 in the same way.
const EXIT_TOOL_FAILURE: u8 = 125;

/// Exit status when the command exists but cannot be executed (as in sh).
const EXIT_CANNOT_EXECUTE: u8 = 126;

/// Exit status when the command is not found (as in sh).
const EXIT_NOT_FOUND: u8 = 127;

/// `PATH` in the child: the usual folders of a root shell, sbin included,
/// so that tools such as `ip` are found.
const CHILD_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Size of the child's stack. The child runs only a little Rust before it
/// calls execve(2), which replaces the stack with the command's own.
const CHILD_STACK_SIZE: usize = 1024 * 1024;

/// Signals that end the run: the parent kills the child and exits with
/// 128 plus the signal's number. A terminal, a shell or a service manager
/// sends these to stop a program, and their default action would end this
/// tool without its cleanup.
const TERMINATING_SIGNALS: [Signal; 7] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGALRM,
];

/// Maximum length of a hostname in bytes (HOST_NAME_MAX in limits.h).
const HOST_NAME_MAX: usize = 64;

/// Bit of `CAP_SYS_ADMIN` in the capability sets of /proc/PID/status
/// (capabilities(7)).
const CAP_SYS_ADMIN: u32 = 21;

const EXIT_STATUS_HELP: &str = "\
Exit status:
  N        the command exited with status N
  128+N    the command was killed by signal N, or this tool received
           signal N (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2
           or SIGALRM) and killed the command
  2        invalid command line
  125      this tool failed: not privileged, or clone or setup failed
  126      the command was found but could not be executed
  127      the command, its ELF interpreter or #! program, or a library
           it needs was not found

Creating namespaces needs root (CAP_SYS_ADMIN). The command starts with a
clean environment: PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin,
HOME=/root, and TERM if the caller has it. When the command exits, whatever
it left running is killed.";
// ANCHOR_END: constants

// ANCHOR: args
/// Run a command in new Linux namespaces (step 4: PID, mount, UTS and network namespaces).
#[derive(Debug, Parser)]
#[command(after_help = EXIT_STATUS_HELP)]
struct Args {
    /// Print what the parent and the child do, on stderr
    #[arg(short)]
    verbose: bool,

    /// Start the command in a new PID namespace, as its PID 1
    #[arg(short)]
    pid: bool,

    /// Start the command in a new mount namespace; with -p, mount a new /proc
    #[arg(short)]
    mount: bool,

    /// Start the command in a new UTS namespace with this hostname (1 to 64 bytes)
    #[arg(
        short = 'u',
        value_name = "HOSTNAME",
        value_parser = OsStringValueParser::new().try_map(parse_hostname)
    )]
    hostname: Option<OsString>,

    /// Start the command in a new network namespace, which has only a loopback device
    #[arg(short = 'n')]
    network: bool,

    /// Command to run and its arguments [default: none, the child exits 0]
    #[arg(trailing_var_arg = true, value_name = "CMD")]
    command: Vec<OsString>,
}
// ANCHOR_END: args

// ANCHOR: verbose
/// Prints a line on stderr with one write(2). Stderr is not buffered, and
/// `eprintln!` writes each piece of its format separately, so lines of the
/// parent and the child could mix. Each line is out before the next step
/// runs, and none is lost when the child replaces itself with the command.
macro_rules! eprint_line {
    ($($format:tt)*) => {{
        let line = format!("{}\n", format_args!($($format)*));
        let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    }};
}

/// Prints a progress line on stderr when `-v` is given.
macro_rules! verbose {
    ($enabled:expr, $($format:tt)*) => {
        if $enabled {
            eprint_line!($($format)*);
        }
    };
}
// ANCHOR_END: verbose

// ANCHOR: main
fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(status) => ExitCode::from(status),
        Err(error) => {
            eprint_line!("error: {error:#}");
            ExitCode::from(EXIT_TOOL_FAILURE)
        }
    }
}
// ANCHOR_END: main

// ANCHOR: run
/// Runs the command in a cloned child and returns the exit status to pass on.
fn run(args: &Args) -> Result<u8> {
    let flags = namespace_flags(args);
    check_privileges(flags)?;
    verbose!(args.verbose, "parent: my PID is {}", getpid());

    // Signals are blocked before the clone so that none is lost between the
    // clone and the wait. The parent reads them from a signalfd, and the
    // child unblocks them again just before it executes the command.
    let (signals, original_mask) = block_signals()?;
    let config = ChildConfig::new(args, flags, original_mask)?;

    // As a child subreaper (prctl(2)), this process inherits the command's
    // orphaned descendants, so it can kill them when the command ends.
    prctl::set_child_subreaper(true).context("failed to become a child subreaper")?;

    let mut gate = StartGate::new()?;
    let mut stack = ChildStack::new(CHILD_STACK_SIZE)?;
    verbose!(
        args.verbose,
        "parent: cloning the child with {}",
        describe_flags(flags)
    );

    let child_main_box = Box::new(|| child_main(&config, &mut gate));
    // SAFETY: the child runs on `stack`, a mapping of its own with a guard
    // page, which stays mapped in the child's copy of memory. This process
    // has a single thread, so no lock is held by a thread that the child
    // lacks. The child ends by execve(2) or by returning an exit status from
    // `child_main`, which catches panics, so no unwinding crosses the clone.
    let child = unsafe {
        clone(
            child_main_box,
            stack.as_mut_slice(),
            flags,
            Some(Signal::SIGCHLD as i32),
        )
    }
    .with_context(|| format!("failed to clone the child with {}", describe_flags(flags)))?;
    verbose!(args.verbose, "parent: child PID is {child}");

    gate.open().context("failed to let the child start")?;
    let outcome = wait_for_child(child, &signals, args.verbose)?;
    let status = report(outcome, args.verbose);
    kill_leftovers(args.verbose)?;
    Ok(status)
}
// ANCHOR_END: run

/// Checks a hostname for `-u` before anything is created. The kernel takes
/// 1 to 64 bytes (HOST_NAME_MAX in limits.h), not only UTF-8, and rejects a
/// longer one.
fn parse_hostname(value: OsString) -> Result<OsString, String> {
    if value.is_empty() {
        return Err("the hostname is empty: give 1 to 64 bytes".to_string());
    }
    if value.len() > HOST_NAME_MAX {
        return Err(format!(
            "the hostname is {} bytes long: give at most {HOST_NAME_MAX}",
            value.len()
        ));
    }
    Ok(value)
}

// ANCHOR: flags
/// Returns the `CLONE_NEW*` flags that the options ask for.
fn namespace_flags(args: &Args) -> CloneFlags {
    let mut flags = CloneFlags::empty();
    if args.pid {
        flags |= CloneFlags::CLONE_NEWPID;
    }
    if args.mount {
        flags |= CloneFlags::CLONE_NEWNS;
    }
    if args.hostname.is_some() {
        flags |= CloneFlags::CLONE_NEWUTS;
    }
    if args.network {
        flags |= CloneFlags::CLONE_NEWNET;
    }
    flags
}

/// Formats clone flags as `CLONE_NEWPID | CLONE_NEWNS` for messages.
fn describe_flags(flags: CloneFlags) -> String {
    if flags.is_empty() {
        return "no new namespaces".to_string();
    }
    let names: Vec<&str> = flags.iter_names().map(|(name, _)| name).collect();
    names.join(" | ")
}
// ANCHOR_END: flags

// ANCHOR: privileges
/// Fails before anything is created unless this process may create the
/// namespaces. That needs `CAP_SYS_ADMIN`: root has it, and so does root
/// inside a user namespace (`unshare --map-root-user`).
fn check_privileges(flags: CloneFlags) -> Result<()> {
    if flags.is_empty() || has_capability(CAP_SYS_ADMIN)? {
        return Ok(());
    }
    bail!(
        "creating namespaces ({}) needs CAP_SYS_ADMIN, which this process lacks: \
         run it as root (with sudo), or without root inside `unshare --map-root-user`",
        describe_flags(flags)
    )
}

/// Reads whether `capability` is in this process's effective set.
fn has_capability(capability: u32) -> Result<bool> {
    let status = std::fs::read_to_string("/proc/self/status")
        .context("failed to read /proc/self/status to check capabilities")?;
    let hex = status
        .lines()
        .find_map(|line| line.strip_prefix("CapEff:"))
        .context("no CapEff line in /proc/self/status")?;
    let effective = u64::from_str_radix(hex.trim(), 16)
        .with_context(|| format!("invalid CapEff value {:?} in /proc/self/status", hex.trim()))?;
    Ok(effective & (1 << capability) != 0)
}
// ANCHOR_END: privileges

// ANCHOR: signals
/// Blocks SIGCHLD and the TERMINATING_SIGNALS and returns a signalfd that
/// receives them, with the signal mask to restore in the child.
fn block_signals() -> Result<(SignalFd, SigSet)> {
    // A caller may have started this tool with SIGCHLD ignored. The kernel
    // then reaps children itself and sends no SIGCHLD (waitpid(2)), so the
    // wait for the child would never end.
    // SAFETY: SIG_DFL installs no handler, so no code runs in signal context.
    unsafe { signal(Signal::SIGCHLD, SigHandler::SigDfl) }
        .context("failed to reset the action of SIGCHLD")?;

    let mut handled = SigSet::empty();
    handled.add(Signal::SIGCHLD);
    for signal in TERMINATING_SIGNALS {
        handled.add(signal);
    }
    let mut original_mask = SigSet::empty();
    sigprocmask(
        SigmaskHow::SIG_BLOCK,
        Some(&handled),
        Some(&mut original_mask),
    )
    .context("failed to block signals")?;
    let signals = SignalFd::with_flags(&handled, SfdFlags::SFD_CLOEXEC)
        .context("failed to create a signalfd")?;
    Ok((signals, original_mask))
}
// ANCHOR_END: signals

// ANCHOR: config
/// Everything the child needs, prepared by the parent before the clone so
/// that the child does little more than system calls.
#[derive(Debug)]
struct ChildConfig {
    flags: CloneFlags,
    verbose: bool,
    hostname: Option<OsString>,
    command: Vec<CString>,
    environment: Vec<CString>,
    signal_mask: SigSet,
}

impl ChildConfig {
    fn new(args: &Args, flags: CloneFlags, signal_mask: SigSet) -> Result<Self> {
        let command = args
            .command
            .iter()
            .map(|word| CString::new(word.as_bytes()))
            .collect::<Result<_, _>>()
            .context("invalid command: an argument contains a NUL byte")?;

        // A container starts with a clean environment, so nothing from the
        // caller leaks in except TERM, which keeps terminal programs usable.
        let mut environment = vec![
            CString::new(format!("PATH={CHILD_PATH}"))?,
            CString::new("HOME=/root")?,
        ];
        if let Some(term) = std::env::var_os("TERM") {
            let mut entry = b"TERM=".to_vec();
            entry.extend_from_slice(term.as_bytes());
            environment.push(CString::new(entry)?);
        }

        Ok(Self {
            flags,
            verbose: args.verbose,
            hostname: args.hostname.clone(),
            command,
            environment,
            signal_mask,
        })
    }
}
// ANCHOR_END: config

// ANCHOR: gate
/// A pipe that keeps the child waiting until the parent has finished its side
/// of the setup, which also keeps the `-v` output in a fixed order.
#[derive(Debug)]
struct StartGate {
    read_end: OwnedFd,
    write_end: Option<OwnedFd>,
}

impl StartGate {
    fn new() -> Result<Self> {
        let (read_end, write_end) =
            pipe2(OFlag::O_CLOEXEC).context("failed to create the start pipe")?;
        Ok(Self {
            read_end,
            write_end: Some(write_end),
        })
    }

    /// Lets the child go on (parent side): one byte, then end of file.
    fn open(&mut self) -> nix::Result<()> {
        if let Some(write_end) = self.write_end.take() {
            write(&write_end, b"1")?;
        }
        Ok(())
    }

    /// Waits until the parent opens the gate (child side). Fails if the
    /// parent died first: end of file comes then without the byte.
    fn wait(&mut self) -> Result<()> {
        // The child has its own copy of the write end. It closes that copy,
        // or end of file would never come if the parent died.
        self.write_end = None;
        let mut byte = [0u8; 1];
        loop {
            match read(&self.read_end, &mut byte) {
                Ok(1) => return Ok(()),
                Ok(_) => bail!("the parent exited before it let the child start"),
                Err(Errno::EINTR) => continue,
                Err(errno) => return Err(errno).context("failed to read the start pipe"),
            }
        }
    }
}
// ANCHOR_END: gate

// ANCHOR: stack
/// The child's stack: a mapping of its own, with a guard page at the low
/// end so that an overflow faults instead of overwriting other memory.
#[derive(Debug)]
struct ChildStack {
    mapping: NonNull<libc::c_void>,
    mapping_len: usize,
    guard_len: usize,
}

impl ChildStack {
    fn new(size: usize) -> Result<Self> {
        let guard_len = nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
            .context("failed to read the page size")?
            .context("the page size is unknown")? as usize;
        let mapping_len = size + guard_len;
        let length = NonZeroUsize::new(mapping_len).context("the child stack size is zero")?;
        // SAFETY: a new anonymous private mapping does not alias any memory
        // that Rust already manages.
        let mapping = unsafe {
            mmap_anonymous(
                None,
                length,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_PRIVATE | MapFlags::MAP_STACK,
            )
        }
        .context("failed to map memory for the child's stack")?;
        let stack = Self {
            mapping,
            mapping_len,
            guard_len,
        };
        // SAFETY: the guard page is the lowest page of the mapping made
        // above, and nothing refers to it yet.
        unsafe { mprotect(mapping, guard_len, ProtFlags::PROT_NONE) }
            .context("failed to protect the guard page of the child's stack")?;
        Ok(stack)
    }

    /// Returns the usable part of the stack, above the guard page.
    fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: the bytes above the guard page are mapped readable and
        // writable for as long as `self` lives, and `&mut self` makes this
        // the only reference to them.
        unsafe {
            let usable = self.mapping.cast::<u8>().add(self.guard_len);
            std::slice::from_raw_parts_mut(usable.as_ptr(), self.mapping_len - self.guard_len)
        }
    }
}

impl Drop for ChildStack {
    fn drop(&mut self) {
        // SAFETY: the mapping was made in `new` with this length, and no
        // slice from `as_mut_slice` outlives `self`.
        if let Err(errno) = unsafe { munmap(self.mapping, self.mapping_len) } {
            eprint_line!("warning: failed to unmap the child's stack: {errno}");
        }
    }
}
// ANCHOR_END: stack

// ANCHOR: child
/// The child's entry point: sets up the namespaces from inside, then
/// executes the command. Returns the child's exit status only on failure,
/// or with status 0 when there is no command.
fn child_main(config: &ChildConfig, gate: &mut StartGate) -> isize {
    // A panic must not unwind out of the clone callback, which is called
    // from C, so it becomes the tool's failure status instead.
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        if let Err(error) = prepare_child(config, gate) {
            eprint_line!("error: {error:#}");
            return EXIT_TOOL_FAILURE;
        }
        execute_command(config)
    }));
    isize::from(result.unwrap_or(EXIT_TOOL_FAILURE))
}

/// Does the child's setup, from inside the new namespaces.
fn prepare_child(config: &ChildConfig, gate: &mut StartGate) -> Result<()> {
    // If the parent dies, the kernel sends SIGKILL to the child, so the
    // command does not outlive a killed tool (with -p, neither does anything
    // else in its PID namespace). Set before the wait, which detects a
    // parent that died even earlier.
    prctl::set_pdeathsig(Signal::SIGKILL).context("failed to set the parent-death signal")?;
    gate.wait()?;
    verbose!(config.verbose, "child: my PID is {}", getpid());

    if config.flags.contains(CloneFlags::CLONE_NEWNS) {
        make_mounts_private(config.verbose)?;
    }
    if config
        .flags
        .contains(CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_NEWPID)
    {
        mount_proc(config.verbose)?;
    }
    if let Some(hostname) = &config.hostname {
        set_hostname(hostname, config.verbose)?;
    }
    Ok(())
}

/// Makes every mount in the child's mount namespace private. The new
/// namespace starts with copies of the host's mounts, and each copy keeps
/// its propagation type (mount_namespaces(7)). Where `/` is shared, as
/// systemd makes it, a mount made here would otherwise appear on the host
/// too. This must come before any mount the child makes.
fn make_mounts_private(verbose: bool) -> Result<()> {
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .context("failed to make the mounts private (MS_REC | MS_PRIVATE on /)")?;
    verbose!(
        verbose,
        "child: made every mount private (MS_REC | MS_PRIVATE on /)"
    );
    Ok(())
}

/// Mounts a new proc filesystem on `/proc`, over the host's. A proc mount
/// shows the PID namespace of the process that mounted it, so `ps` now
/// lists only the child's namespace. The mount lives in the child's mount
/// namespace and ends with it.
fn mount_proc(verbose: bool) -> Result<()> {
    mount(
        Some("proc"),
        "/proc",
        Some("proc"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None::<&str>,
    )
    .context("failed to mount proc on /proc")?;
    verbose!(verbose, "child: mounted a new proc on /proc");
    Ok(())
}
// ANCHOR_END: child

/// Sets the hostname. The child is in a new UTS namespace, so the host's
/// hostname does not change.
fn set_hostname(hostname: &OsString, verbose: bool) -> Result<()> {
    sethostname(hostname).with_context(|| format!("failed to set the hostname to {hostname:?}"))?;
    verbose!(verbose, "child: set the hostname to {hostname:?}");
    Ok(())
}

// ANCHOR: exec
/// Executes the command. Returns only when that fails, with the exit
/// status to report, or with 0 when no command was given.
fn execute_command(config: &ChildConfig) -> u8 {
    let Some(name) = config.command.first() else {
        verbose!(
            config.verbose,
            "child: no command given, exiting with status 0"
        );
        return 0;
    };
    verbose!(config.verbose, "child: executing {:?}", config.command);

    // The command gets the signal mask that the tool started with and only
    // the file descriptors 0, 1 and 2.
    if let Err(errno) = config.signal_mask.thread_set_mask() {
        eprint_line!("error: failed to restore the signal mask: {errno}");
        return EXIT_TOOL_FAILURE;
    }
    // Rust programs ignore SIGPIPE, and an ignored signal stays ignored
    // across execve(2). Without this reset, `yes | head -1` in the command
    // would report a broken pipe instead of ending quietly.
    // SAFETY: SIG_DFL installs no handler, so no code runs in signal context.
    if let Err(errno) = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) } {
        eprint_line!("error: failed to reset the action of SIGPIPE: {errno}");
        return EXIT_TOOL_FAILURE;
    }
    if let Err(errno) = mark_descriptors_close_on_exec() {
        eprint_line!("error: failed to close inherited file descriptors: {errno}");
        return EXIT_TOOL_FAILURE;
    }

    if name.as_bytes().contains(&b'/') {
        let errno = execve(name, &config.command, &config.environment).unwrap_err();
        return report_exec_failure(name, errno);
    }

    // Search the child's PATH like execvp(3). It cannot be used here
    // because it searches the caller's PATH, not the one in `environment`.
    let mut denied = None;
    for folder in CHILD_PATH.split(':').filter(|_| !name.is_empty()) {
        let mut path = format!("{folder}/").into_bytes();
        path.extend_from_slice(name.as_bytes());
        let Ok(candidate) = CString::new(path) else {
            continue;
        };
        match execve(&candidate, &config.command, &config.environment).unwrap_err() {
            Errno::ENOENT if !path_exists(&candidate) => continue,
            Errno::ENOTDIR => continue,
            Errno::EACCES => {
                denied.get_or_insert(candidate);
            }
            errno => return report_exec_failure(&candidate, errno),
        }
    }
    match denied {
        Some(candidate) => report_exec_failure(&candidate, Errno::EACCES),
        None => {
            eprint_line!("error: command not found: {name:?} (searched PATH={CHILD_PATH})");
            EXIT_NOT_FOUND
        }
    }
}

/// Marks every file descriptor above 2 close-on-exec, so that the command
/// gets only stdin, stdout and stderr. close_range(2) does that in one call
/// since Linux 5.11; older kernels reject the flag, and then each possible
/// descriptor below the RLIMIT_NOFILE limit is marked with fcntl(2).
fn mark_descriptors_close_on_exec() -> nix::Result<()> {
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets flags in this
    // process's file descriptor table, and no memory is passed.
    let marked = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            3,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        )
    };
    if marked == 0 {
        return Ok(());
    }
    match Errno::last() {
        Errno::ENOSYS | Errno::EINVAL => {}
        errno => return Err(errno),
    }

    // NOTE: this fallback for kernels before 5.11 is not run by the tests,
    // which run on newer kernels.
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes only to `limit`, a valid rlimit.
    Errno::result(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) })?;
    let highest = libc::c_int::try_from(limit.rlim_cur).unwrap_or(libc::c_int::MAX);
    for descriptor in 3..highest {
        // SAFETY: F_SETFD only sets a flag of the descriptor, and fails with
        // EBADF, which is ignored, when the number is not open.
        unsafe { libc::fcntl(descriptor, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    Ok(())
}

/// Reports whether `path` names an existing file. A dangling symbolic link
/// does not count, since execve(2) follows links.
fn path_exists(path: &CString) -> bool {
    nix::sys::stat::stat(path.as_c_str()).is_ok()
}

/// Prints why execve(2) failed on `path` and returns the exit status for it.
fn report_exec_failure(path: &CString, errno: Errno) -> u8 {
    match errno {
        // execve(2) also returns ENOENT when the file exists but its
        // interpreter does not: the ELF loader or a #! program.
        Errno::ENOENT if path_exists(path) => {
            eprint_line!(
                "error: cannot execute {path:?}: the file exists, but its interpreter \
                 (the ELF loader named in PT_INTERP, or the #! program) was not found"
            );
            EXIT_NOT_FOUND
        }
        Errno::ENOENT => {
            eprint_line!("error: command not found: {path:?}");
            EXIT_NOT_FOUND
        }
        Errno::EACCES => {
            eprint_line!("error: cannot execute {path:?}: permission denied (is it executable?)");
            EXIT_CANNOT_EXECUTE
        }
        Errno::ENOEXEC => {
            eprint_line!("error: cannot execute {path:?}: not an executable format");
            EXIT_CANNOT_EXECUTE
        }
        errno => {
            eprint_line!("error: failed to execute {path:?}: {}", errno.desc());
            EXIT_CANNOT_EXECUTE
        }
    }
}
// ANCHOR_END: exec

// ANCHOR: wait
/// The end of a run: the child's wait status, and the signal that made
/// the parent kill the child, if one did.
#[derive(Debug)]
struct Outcome {
    status: Termination,
    received: Option<Signal>,
}

/// The end of a process, decoded from its wait status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Termination {
    Exited(i32),
    Signaled(i32),
}

/// Waits for the child to end. A terminating signal makes the parent
/// kill the child with SIGKILL, because a PID 1 ignores every signal it has
/// no handler for, except SIGKILL and SIGSTOP sent from an ancestor PID
/// namespace (pid_namespaces(7)). When that PID 1 dies, the kernel kills
/// the rest of its namespace.
fn wait_for_child(child: Pid, signals: &SignalFd, verbose: bool) -> Result<Outcome> {
    let mut received = None;
    loop {
        let info = match signals.read_signal() {
            Ok(Some(info)) => info,
            Ok(None) | Err(Errno::EINTR) => continue,
            Err(errno) => return Err(errno).context("failed to read the signalfd"),
        };
        let signal = Signal::try_from(info.ssi_signo as i32)
            .with_context(|| format!("unknown signal number {}", info.ssi_signo))?;

        if signal == Signal::SIGCHLD {
            if let Some(status) = reap_children(child)? {
                return Ok(Outcome { status, received });
            }
            continue;
        }
        verbose!(verbose, "parent: received {signal}, killing the child");
        received.get_or_insert(signal);
        match kill(child, Signal::SIGKILL) {
            Ok(()) | Err(Errno::ESRCH) => {}
            Err(errno) => return Err(errno).context(format!("failed to kill child {child}")),
        }
    }
}

/// Reaps every child that has ended. One SIGCHLD can stand for several,
/// since the orphans that this subreaper inherits end here too. Returns
/// how `child` ended, once it has.
fn reap_children(child: Pid) -> Result<Option<Termination>> {
    loop {
        match wait_for_process(-1, libc::WNOHANG | libc::__WALL) {
            Ok(None) | Err(Errno::ECHILD) => return Ok(None),
            Ok(Some((pid, ended))) if pid == child => return Ok(Some(ended)),
            Ok(Some(_)) | Err(Errno::EINTR) => continue,
            Err(errno) => return Err(errno).context("failed to wait for the child"),
        }
    }
}

/// Waits like waitpid(2) and returns the PID that ended and how, or None
/// when `flags` has WNOHANG and no child has ended yet. It decodes the
/// status itself: nix's `WaitStatus` has no real-time signals, and fails
/// on a child that one of them killed, after that child is reaped.
fn wait_for_process(
    pid: libc::pid_t,
    flags: libc::c_int,
) -> nix::Result<Option<(Pid, Termination)>> {
    let mut status = 0;
    // SAFETY: waitpid writes only to `status`, which is a valid c_int.
    let waited = Errno::result(unsafe { libc::waitpid(pid, &mut status, flags) })?;
    if waited == 0 {
        return Ok(None);
    }
    let ended = if libc::WIFSIGNALED(status) {
        Termination::Signaled(libc::WTERMSIG(status))
    } else {
        Termination::Exited(libc::WEXITSTATUS(status))
    };
    Ok(Some((Pid::from_raw(waited), ended)))
}
// ANCHOR_END: wait

// ANCHOR: leftovers
/// Kills and reaps whatever the command left running. They are this
/// process's children now, because it is their subreaper. In a PID
/// namespace the kernel has already killed them when the child, its PID 1,
/// ended; without one, this is what ends them.
fn kill_leftovers(verbose: bool) -> Result<()> {
    // thread-self, not a path with getpid(): in a PID namespace whose /proc
    // is still the host's, getpid() is not this process's PID in that /proc.
    let children_file = "/proc/thread-self/children";
    loop {
        let listed = std::fs::read_to_string(children_file)
            .with_context(|| format!("failed to read {children_file}"))?;
        let leftovers: Vec<Pid> = listed
            .split_whitespace()
            .filter_map(|pid| pid.parse().ok().map(Pid::from_raw))
            .collect();
        if leftovers.is_empty() {
            return Ok(());
        }
        for pid in &leftovers {
            verbose!(verbose, "parent: killing leftover process {pid}");
            // ESRCH: it ended in the meantime, and the waitpid below reaps it.
            let _ = kill(*pid, Signal::SIGKILL);
        }
        for pid in leftovers {
            match wait_for_process(pid.as_raw(), libc::__WALL) {
                Ok(_) | Err(Errno::ECHILD) => {}
                Err(errno) => return Err(errno).context(format!("failed to reap process {pid}")),
            }
        }
    }
}
// ANCHOR_END: leftovers

// ANCHOR: report
/// Turns the child's end into this tool's exit status, as a shell does:
/// the exit status itself, or 128 plus the number of the killing signal.
fn report(outcome: Outcome, verbose: bool) -> u8 {
    if let Some(signal) = outcome.received {
        verbose!(verbose, "parent: exiting after {signal}");
        return 128 + signal as u8;
    }
    match outcome.status {
        Termination::Exited(code) => {
            verbose!(verbose, "parent: child exited with status {code}");
            code as u8
        }
        Termination::Signaled(number) => {
            let name =
                Signal::try_from(number).map_or(format!("signal {number}"), |s| s.to_string());
            verbose!(verbose, "parent: child was killed by {name}");
            128 + number as u8
        }
    }
}
// ANCHOR_END: report
