//! Runs the six steps' binaries against the real kernel and checks every
//! namespace each step has, from both sides: the effect inside, and no
//! effect on the host.
//!
//! Most tests need root, as the steps do. Without root they print why they
//! were skipped and pass. Each test cleans up what it creates: the mounts
//! live in mount namespaces that end with the test, and files stay in the
//! test's temporary folder.

use std::ffi::OsStr;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use xtask::{STEPS, binary, is_root, processes_with};

/// Maximum time a run may take before the test calls it hung. Every run
/// here ends in well under a second; the margin is for a loaded machine.
const HANG_LIMIT: Duration = Duration::from_secs(30);

/// The step that introduced each namespace option, as an index into STEPS.
const PID_STEP: usize = 0;
const MOUNT_STEP: usize = 1;
const UTS_STEP: usize = 2;
const NET_STEP: usize = 3;
const IPC_STEP: usize = 4;
const CHROOT_STEP: usize = 5;

/// Returns the steps that have the option introduced by step `first`.
fn steps_from(first: usize) -> &'static [&'static str] {
    &STEPS[first..]
}

/// Runs `step` with `args`, empty stdin, and waits for it.
fn run(step: &str, args: &[&str]) -> Output {
    run_with_stdin(step, args, b"")
}

/// Runs `step` with `args` and `input` on stdin, and waits for it.
fn run_with_stdin(step: &str, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(binary(step))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("failed to start {step}: {error}"));
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input)
        .expect("failed to write the step's stdin");
    wait_for_output(child, step)
}

/// Waits for `child` and collects its output, killing it (by PID, since it
/// is our own child) when it runs past HANG_LIMIT. Fails when its stdout or
/// stderr stays open after it ended: a process it left behind keeps them open.
fn wait_for_output(mut child: Child, what: &str) -> Output {
    let (sender, receiver) = mpsc::channel();
    // A stream that the test closed itself reads as empty.
    let stdout: Option<Box<dyn Read + Send>> = child
        .stdout
        .take()
        .map(|pipe| Box::new(pipe) as Box<dyn Read + Send>);
    let stderr: Option<Box<dyn Read + Send>> = child
        .stderr
        .take()
        .map(|pipe| Box::new(pipe) as Box<dyn Read + Send>);
    for (stream, pipe) in [(1, stdout), (2, stderr)] {
        let sender = sender.clone();
        std::thread::spawn(move || {
            let mut buffer = Vec::new();
            let result = match pipe {
                Some(mut pipe) => pipe.read_to_end(&mut buffer).map(|_| buffer),
                None => Ok(buffer),
            };
            let _ = sender.send((stream, result));
        });
    }

    let status = wait_with_limit(&mut child, what);
    let mut output = Output {
        status,
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    for _ in 0..2 {
        let (stream, bytes) = receiver.recv_timeout(HANG_LIMIT).unwrap_or_else(|_| {
            panic!("{what} ended, but a process it left holds its output open")
        });
        let bytes = bytes.expect("failed to read the output");
        if stream == 1 {
            output.stdout = bytes;
        } else {
            output.stderr = bytes;
        }
    }
    output
}

fn wait_with_limit(child: &mut Child, what: &str) -> ExitStatus {
    xtask::wait_with_limit(child, what, HANG_LIMIT)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Describes a run for assertion messages.
fn describe(output: &Output) -> String {
    format!(
        "status {:?}\n--- stdout ---\n{}--- stderr ---\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    )
}

/// Checks the exit status of a run of `step`, showing its output on failure.
fn check_status(step: &str, output: &Output, expected: i32) {
    assert_eq!(
        output.status.code(),
        Some(expected),
        "{step}: {}",
        describe(output)
    );
}

/// Returns a temporary folder that other users may enter, for binaries
/// that an unprivileged user runs.
fn open_temp_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("failed to create a temporary folder");
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))
        .expect("failed to open up the temporary folder");
    dir
}

/// Returns the mount points of this process's mount namespace.
fn mount_points() -> Vec<String> {
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").expect("failed to read mountinfo");
    let mut points: Vec<String> = mountinfo
        .lines()
        .filter_map(|line| line.split(' ').nth(4).map(str::to_string))
        .collect();
    points.sort();
    points
}

fn host_links() -> String {
    let output = Command::new("ip")
        .args(["-o", "link"])
        .output()
        .expect("failed to run ip");
    text(&output.stdout)
}

fn host_hostname() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname").expect("failed to read the hostname")
}

// The command line, on every step.

#[test]
fn help_goes_to_stdout_and_exits_zero() {
    for step in STEPS {
        let output = run(step, &["-h"]);
        check_status(step, &output, 0);
        assert!(
            text(&output.stdout).contains("Usage:"),
            "{step}: {}",
            describe(&output)
        );
        assert!(
            text(&output.stdout).contains("Exit status:"),
            "{step}: {}",
            describe(&output)
        );
        assert!(output.stderr.is_empty(), "{step}: {}", describe(&output));
    }
}

#[test]
fn help_lists_only_options_reached() {
    let options = ["-p", "-m", "-u <HOSTNAME>", "-n", "-i <no|yes>", "-c <DIR>"];
    for (index, step) in STEPS.iter().enumerate() {
        let help = text(&run(step, &["-h"]).stdout);
        for (option_step, option) in options.iter().enumerate() {
            let listed = help
                .lines()
                .any(|line| line.trim_start().starts_with(option));
            assert_eq!(
                listed,
                option_step <= index,
                "{step}: option {option} in\n{help}"
            );
        }
    }
}

#[test]
fn unknown_option_exits_two_with_usage() {
    for step in STEPS {
        let output = run(step, &["-x", "true"]);
        check_status(step, &output, 2);
        assert!(
            text(&output.stderr).contains("Usage:"),
            "{step}: {}",
            describe(&output)
        );
        assert!(output.stdout.is_empty(), "{step}: {}", describe(&output));
    }
}

#[test]
fn parsing_stops_at_first_command_word() {
    if !is_root("parsing_stops_at_first_command_word") {
        return;
    }
    let script = r#"for word in "$@"; do printf '[%s]' "$word"; done"#;
    for step in STEPS {
        let args = ["-p", "sh", "-c", script, "sh", "-l", "-p", "", "a  b", "-h"];
        let output = run(step, &args);
        check_status(step, &output, 0);
        assert_eq!(text(&output.stdout), "[-l][-p][][a  b][-h]", "{step}");
    }
}

#[test]
fn no_command_exits_zero() {
    for step in STEPS {
        let output = run(step, &[]);
        check_status(step, &output, 0);
    }
}

// Exit statuses, on every step.

#[test]
fn command_exit_status_passes_through() {
    for step in STEPS {
        let output = run(step, &["sh", "-c", "exit 42"]);
        check_status(step, &output, 42);
    }
}

#[test]
fn command_killed_by_signal_gives_128_plus_n() {
    for step in STEPS {
        let output = run(step, &["sh", "-c", "kill -KILL $$"]);
        check_status(step, &output, 128 + 9);
    }
}

#[test]
fn missing_command_exits_127_naming_it() {
    for step in STEPS {
        let output = run(step, &["no-such-command-here"]);
        check_status(step, &output, 127);
        let stderr = text(&output.stderr);
        assert!(stderr.contains("not found"), "{step}: {stderr}");
        assert!(stderr.contains("no-such-command-here"), "{step}: {stderr}");
    }
}

#[test]
fn non_executable_file_exits_126() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("not-executable");
    fs::write(&script, "#!/bin/sh\necho ran\n").unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o644)).unwrap();
    for step in STEPS {
        let output = run(step, &[script.to_str().unwrap()]);
        check_status(step, &output, 126);
        assert!(text(&output.stderr).contains("not-executable"), "{step}");
        assert!(output.stdout.is_empty(), "{step}: {}", describe(&output));
    }
}

#[test]
fn missing_interpreter_exits_127_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("orphan-script");
    fs::write(&script, "#!/no/such/interpreter\n").unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    for step in STEPS {
        let output = run(step, &[script.to_str().unwrap()]);
        check_status(step, &output, 127);
        assert!(
            text(&output.stderr).contains("interpreter"),
            "{step}: {}",
            describe(&output)
        );
    }
}

#[test]
fn child_environment_is_clean() {
    for step in STEPS {
        let output = Command::new(binary(step))
            .arg("env")
            .env("LEAKED_FROM_CALLER", "1")
            .env("TERM", "xterm-test")
            .output()
            .unwrap();
        let mut lines: Vec<String> = text(&output.stdout).lines().map(str::to_string).collect();
        lines.sort();
        let expected = [
            "HOME=/root",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "TERM=xterm-test",
        ];
        assert_eq!(lines, expected, "{step}: {}", describe(&output));
    }
}

#[test]
fn child_gets_only_standard_descriptors() {
    if !is_root("child_gets_only_standard_descriptors") {
        return;
    }
    for step in STEPS {
        // The shell opens descriptors 7 and 8 without close-on-exec, so the
        // step inherits them; the command must not.
        let script = format!(
            r#"exec 7</dev/null 8>/dev/null; exec {} sh -c 'ls /proc/$$/fd'"#,
            binary(step).display()
        );
        let output = Command::new("bash").args(["-c", &script]).output().unwrap();
        assert_eq!(
            text(&output.stdout),
            "0\n1\n2\n",
            "{step}: {}",
            describe(&output)
        );
    }
}

// Privileges.

/// Runs a copy of `step` as user nobody with no capabilities, behind the
/// `wrapper` command (if any), and waits for it. The copy lies in a folder
/// that the user nobody may enter, which the build's target folder may not be.
fn run_unprivileged(step: &str, wrapper: &[&str], args: &[&str]) -> Output {
    let dir = open_temp_dir();
    let copy = dir.path().join(step);
    fs::copy(binary(step), &copy).expect("failed to copy the step");
    // Another test thread may fork while the copy is still open for
    // writing, and until that child execs, running the copy fails with
    // ETXTBSY ("Text file busy"). Such a run is tried again.
    for _ in 0..20 {
        let output = Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
            ])
            .args(wrapper)
            .arg(&copy)
            .args(args)
            .output()
            .expect("failed to run setpriv");
        if !text(&output.stderr).contains("Text file busy") {
            return output;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "{} stayed busy: another process kept it open for writing",
        copy.display()
    );
}

#[test]
fn unprivileged_run_fails_before_cloning() {
    if !is_root("unprivileged_run_fails_before_cloning") {
        return;
    }
    for step in STEPS {
        let output = run_unprivileged(step, &[], &["-v", "-p", "true"]);
        let stderr = text(&output.stderr);
        check_status(step, &output, 125);
        assert!(stderr.contains("CAP_SYS_ADMIN"), "{step}: {stderr}");
        assert!(
            stderr.contains("unshare --map-root-user"),
            "{step}: {stderr}"
        );
        assert!(
            !stderr.contains("cloning"),
            "{step} cloned anyway: {stderr}"
        );
    }
}

#[test]
fn steps_run_rootless_in_user_namespace() {
    if !is_root("steps_run_rootless_in_user_namespace") {
        return;
    }
    for step in STEPS {
        let wrapper = ["unshare", "--map-root-user"];
        let output = run_unprivileged(step, &wrapper, &["-p", "sh", "-c", "echo $$"]);
        check_status(step, &output, 0);
        assert_eq!(text(&output.stdout), "1\n", "{step}: {}", describe(&output));
    }
}

// The PID namespace, on every step.

#[test]
fn pid_namespace_child_is_pid_1() {
    if !is_root("pid_namespace_child_is_pid_1") {
        return;
    }
    for step in steps_from(PID_STEP) {
        let output = run(step, &["-p", "sh", "-c", "echo $$"]);
        assert_eq!(text(&output.stdout), "1\n", "{step}: {}", describe(&output));
    }
}

#[test]
fn without_pid_option_child_keeps_host_pid() {
    for step in STEPS {
        let output = run(step, &["sh", "-c", "echo $$"]);
        let pid: u32 = text(&output.stdout).trim().parse().expect("a PID");
        assert_ne!(pid, 1, "{step}: {}", describe(&output));
    }
}

#[test]
fn verbose_lines_come_from_both_sides_in_order() {
    if !is_root("verbose_lines_come_from_both_sides_in_order") {
        return;
    }
    for step in STEPS {
        let output = run(step, &["-v", "-p", "true"]);
        let stderr = text(&output.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        let position = |prefix: &str| {
            lines
                .iter()
                .position(|line| line.starts_with(prefix))
                .unwrap_or_else(|| panic!("{step}: no line starting {prefix:?} in\n{stderr}"))
        };
        let child_pid = position("parent: child PID is ");
        let child_side = position("child: my PID is 1");
        let executing = position("child: executing [\"true\"]");
        let exited = position("parent: child exited with status 0");
        assert!(child_pid < child_side, "{step}: order in\n{stderr}");
        assert!(child_side < executing, "{step}: order in\n{stderr}");
        assert!(executing < exited, "{step}: order in\n{stderr}");
    }
}

/// Starts `step` with `args`, waits until the command prints a line, then
/// sends `signal` to the step and checks that the run ends with 128 plus
/// the signal's number and that no process with `marker` is left.
fn check_signal_ends_run(step: &str, args: &[&str], signal: i32, marker: &str) {
    let mut child = Command::new(binary(step))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready, "ready\n", "{step}: the command did not start");
    assert!(
        !processes_with(marker).is_empty(),
        "{step}: the sleep did not start"
    );

    // SAFETY: kill only sends a signal, to the step that this test started.
    let sent = unsafe { libc::kill(child.id() as i32, signal) };
    assert_eq!(sent, 0, "failed to send signal {signal} to {step}");
    let status = wait_with_limit(&mut child, step);

    assert_eq!(
        status.code(),
        Some(128 + signal),
        "{step} after signal {signal}"
    );
    let left = processes_with(marker);
    assert!(
        left.is_empty(),
        "{step} left processes {left:?} after signal {signal}"
    );
}

#[test]
fn signals_end_run_when_pid_1_ignores_them() {
    if !is_root("signals_end_run_when_pid_1_ignores_them") {
        return;
    }
    for (index, step) in steps_from(PID_STEP).iter().enumerate() {
        let signals = [
            libc::SIGINT,
            libc::SIGTERM,
            libc::SIGHUP,
            libc::SIGQUIT,
            libc::SIGUSR1,
        ];
        for signal in signals {
            let marker = format!("1000{index}{signal}.5");
            let script =
                format!(r#"trap "" INT TERM HUP QUIT USR1; sleep {marker} & echo ready; wait"#);
            check_signal_ends_run(step, &["-p", "sh", "-c", &script], signal, &marker);
        }
    }
}

#[test]
fn signals_end_run_and_orphans_without_pid_namespace() {
    for (index, step) in STEPS.iter().enumerate() {
        let marker = format!("2000{index}.5");
        // The shell starts a sleep in the background and exits at once, so
        // the sleep is orphaned while the run goes on in the second sleep.
        let script = format!(r#"sh -c 'sleep {marker} & echo ready; sleep {marker}'"#);
        check_signal_ends_run(step, &["sh", "-c", &script], libc::SIGTERM, &marker);
    }
}

#[test]
fn leftover_processes_are_killed_at_exit() {
    for (index, step) in STEPS.iter().enumerate() {
        let marker = format!("3000{index}.5");
        let script = format!("sleep {marker} & exit 0");
        let output = run(step, &["sh", "-c", &script]);
        check_status(step, &output, 0);
        let left = processes_with(&marker);
        assert!(left.is_empty(), "{step} left {left:?} running");
    }
}

// The mount namespace, from step 2 on.

#[test]
fn mount_namespace_ps_sees_only_namespace() {
    if !is_root("mount_namespace_ps_sees_only_namespace") {
        return;
    }
    for step in steps_from(MOUNT_STEP) {
        let output = run(step, &["-p", "-m", "ps", "-e", "-o", "pid=,comm="]);
        let processes: Vec<String> = text(&output.stdout)
            .lines()
            .map(|line| line.trim().to_string())
            .collect();
        assert_eq!(processes, ["1 ps"], "{step}: {}", describe(&output));
    }
}

#[test]
fn pid_namespace_alone_shows_host_processes() {
    if !is_root("pid_namespace_alone_shows_host_processes") {
        return;
    }
    // The trap that step 2 fixes: without a new /proc, ps lists the host.
    let output = run(STEPS[PID_STEP], &["-p", "ps", "-e", "-o", "pid="]);
    let count = text(&output.stdout).lines().count();
    assert!(
        count > 1,
        "ps listed only {count} process: {}",
        describe(&output)
    );
}

#[test]
fn mount_namespace_leaves_host_mounts_unchanged() {
    if !is_root("mount_namespace_leaves_host_mounts_unchanged") {
        return;
    }
    for step in steps_from(MOUNT_STEP) {
        let before = mount_points();
        let output = run(
            step,
            &[
                "-p",
                "-m",
                "sh",
                "-c",
                "grep -c ' /proc ' /proc/self/mountinfo",
            ],
        );
        let after = mount_points();
        check_status(step, &output, 0);
        // Inside: the host's /proc and the new one stacked on it.
        assert_eq!(text(&output.stdout), "2\n", "{step}: {}", describe(&output));
        assert_eq!(before, after, "{step} changed the host's mount table");
    }
}

/// Runs `inner` in a throwaway mount namespace whose `/` is shared, as on
/// a systemd host, and returns what it printed after `inner` ran: whether
/// the folder `target` is a mount point there.
fn shared_host_sees_mount_at(target: &Path, inner: &str) -> String {
    let script = format!(
        "mount --make-rshared / && {inner} && if mountpoint -q {target}; \
         then echo leaked; else echo contained; fi",
        target = target.display()
    );
    let output = Command::new("unshare")
        .args(["--mount", "--propagation", "unchanged", "sh", "-c", &script])
        .output()
        .expect("failed to run unshare");
    assert!(output.status.success(), "{}", describe(&output));
    text(&output.stdout)
}

#[test]
fn mount_namespace_does_not_propagate_to_shared_host() {
    if !is_root("mount_namespace_does_not_propagate_to_shared_host") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path();

    // The control: a mount namespace that keeps the shared propagation
    // leaks its mounts, so the check below can tell a leak from none.
    let control = format!(
        "unshare --mount --propagation unchanged mount -t tmpfs none {}",
        target.display()
    );
    assert_eq!(shared_host_sees_mount_at(target, &control), "leaked\n");

    for step in steps_from(MOUNT_STEP) {
        let inner = format!(
            "{} -p -m mount -t tmpfs none {}",
            binary(step).display(),
            target.display()
        );
        assert_eq!(
            shared_host_sees_mount_at(target, &inner),
            "contained\n",
            "{step}"
        );
    }
}

// The UTS namespace, from step 3 on.

#[test]
fn uts_namespace_sets_hostname_inside_only() {
    if !is_root("uts_namespace_sets_hostname_inside_only") {
        return;
    }
    for step in steps_from(UTS_STEP) {
        let before = host_hostname();
        let output = run(step, &["-u", "ns-test-box", "hostname"]);
        assert_eq!(
            text(&output.stdout),
            "ns-test-box\n",
            "{step}: {}",
            describe(&output)
        );
        assert_eq!(
            host_hostname(),
            before,
            "{step} changed the host's hostname"
        );
    }
}

#[test]
fn uts_namespace_rejects_invalid_hostnames() {
    let too_long = "a".repeat(65);
    let longest = "b".repeat(64);
    for step in steps_from(UTS_STEP) {
        for invalid in ["", too_long.as_str()] {
            let output = run(step, &["-v", "-u", invalid, "true"]);
            assert_eq!(
                output.status.code(),
                Some(2),
                "{step} {invalid:?}: {}",
                describe(&output)
            );
            let stderr = text(&output.stderr);
            assert!(stderr.contains("hostname"), "{step}: {stderr}");
            assert!(
                !stderr.contains("cloning"),
                "{step} cloned anyway: {stderr}"
            );
        }
        if is_root("uts_namespace_rejects_invalid_hostnames (64 bytes)") {
            let output = run(step, &["-u", &longest, "hostname"]);
            assert_eq!(text(&output.stdout), format!("{longest}\n"), "{step}");
        }
    }
}

// The network namespace, from step 4 on.

#[test]
fn network_namespace_has_only_lo() {
    if !is_root("network_namespace_has_only_lo") {
        return;
    }
    for step in steps_from(NET_STEP) {
        let before = host_links();
        let output = run(step, &["-n", "ip", "-o", "link"]);
        let links: Vec<&str> = text(&output.stdout)
            .lines()
            .filter_map(|line| line.split(':').nth(1))
            .map(str::trim)
            .collect::<Vec<_>>()
            .into_iter()
            .map(|name| if name == "lo" { "lo" } else { "other" })
            .collect();
        assert_eq!(links, ["lo"], "{step}: {}", describe(&output));
        assert!(
            text(&output.stdout).contains("state DOWN"),
            "{step}: lo is not down"
        );
        assert_eq!(host_links(), before, "{step} changed the host's links");
    }
}

// The IPC namespace and the message queue demo, from step 5 on.

/// Lists the message queues of this IPC namespace whose names start with
/// `prefix`, by mounting an mqueue filesystem in a throwaway mount
/// namespace (this machine's /dev/mqueue may not be mounted).
fn queues_named(prefix: &str) -> Vec<String> {
    let listing = xtask::with_mqueue_mount("ls /mnt").expect("the queues can be listed");
    listing
        .lines()
        .filter(|name| name.starts_with(prefix))
        .map(str::to_string)
        .collect()
}

#[test]
fn ipc_no_delivers_message() {
    for step in steps_from(IPC_STEP) {
        let output = run_with_stdin(step, &["-i", "no"], b"hello there\nrest\n");
        check_status(step, &output, 0);
        assert_eq!(
            text(&output.stdout),
            "parent: received from the child: hello there\n",
            "{step}: {}",
            describe(&output)
        );
    }
}

#[test]
fn ipc_leaves_rest_of_stdin_for_command() {
    for step in steps_from(IPC_STEP) {
        let output = run_with_stdin(step, &["-i", "no", "cat"], b"first\nsecond\nthird\n");
        let stdout = text(&output.stdout);
        assert!(
            stdout.contains("received from the child: first\n"),
            "{step}: {stdout}"
        );
        assert!(stdout.contains("second\nthird\n"), "{step}: {stdout}");
    }
}

#[test]
fn ipc_yes_cannot_see_queue() {
    if !is_root("ipc_yes_cannot_see_queue") {
        return;
    }
    for step in steps_from(IPC_STEP) {
        let output = run_with_stdin(step, &["-i", "yes"], b"hello\n");
        check_status(step, &output, 0);
        assert_eq!(
            text(&output.stdout),
            "parent: the child ended without sending a message\n",
            "{step}: {}",
            describe(&output)
        );
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains("does not exist in this IPC namespace"),
            "{step}: {stderr}"
        );
    }
}

#[test]
fn ipc_yes_returns_while_stdin_stays_open() {
    if !is_root("ipc_yes_returns_while_stdin_stays_open") {
        return;
    }
    for step in steps_from(IPC_STEP) {
        // stdin stays open: only the child's end tells the parent to stop.
        let mut child = Command::new(binary(step))
            .args(["-i", "yes"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let output = wait_for_output(child, step);
        drop(stdin);
        check_status(step, &output, 0);
    }
}

/// Sends "to second" to the second run's stdin, then "to first" to the
/// first's, and returns both runs' output.
fn send_in_reverse_order(mut first: Child, mut second: Child, step: &str) -> (Output, Output) {
    let mut stdin = second.stdin.take().expect("stdin is piped");
    stdin
        .write_all(b"to second\n")
        .expect("failed to write to the second run");
    drop(stdin);
    let mut stdin = first.stdin.take().expect("stdin is piped");
    stdin
        .write_all(b"to first\n")
        .expect("failed to write to the first run");
    drop(stdin);
    let second = wait_for_output(second, step);
    (wait_for_output(first, step), second)
}

#[test]
fn ipc_runs_at_once_keep_messages_apart() {
    for step in steps_from(IPC_STEP) {
        let start = || {
            Command::new(binary(step))
                .args(["-v", "-i", "no"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        // Both queues exist before either message is written.
        let (first, second) = send_in_reverse_order(start(), start(), step);
        assert_eq!(
            text(&first.stdout),
            "parent: received from the child: to first\n"
        );
        assert_eq!(
            text(&second.stdout),
            "parent: received from the child: to second\n"
        );
    }
}

#[test]
fn ipc_queue_removed_after_runs_and_signals() {
    if !is_root("ipc_queue_removed_after_runs_and_signals") {
        return;
    }
    for step in steps_from(IPC_STEP) {
        // The child opens the queue, then waits for a line that never comes.
        let mut command = Command::new(binary(step));
        command.args(["-v", "-i", "no"]);
        let (mut child, _, name) = start_until_queue_open(command, step);
        assert_eq!(
            queues_named(&name),
            std::slice::from_ref(&name),
            "{step}: no queue while running"
        );

        // SAFETY: kill only sends a signal, to the step that this test started.
        assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
        let status = wait_with_limit(&mut child, step);
        assert_eq!(status.code(), Some(128 + libc::SIGTERM), "{step}");
        assert!(queues_named(&name).is_empty(), "{step} left queue {name}");

        for choice in ["no", "yes"] {
            let output = run_with_stdin(step, &["-v", "-i", choice], b"x\n");
            check_status(step, &output, 0);
            let stderr = text(&output.stderr);
            let created = stderr
                .lines()
                .find_map(|line| line.strip_prefix("parent: created message queue \"/"))
                .and_then(|rest| rest.strip_suffix('"'))
                .unwrap_or_else(|| panic!("{step}: no queue name in\n{stderr}"));
            assert!(
                queues_named(created).is_empty(),
                "{step} -i {choice} left {created}"
            );
        }
    }
}

/// Starts `command` with piped stdio and reads its stderr until the child
/// has opened the message queue. Returns the child, its stderr so far and
/// the queue's name (without the leading slash).
fn start_until_queue_open(mut command: Command, what: &str) -> (Child, String, String) {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("child: opened message queue") {
        let read = stderr.read_line(&mut seen).unwrap();
        assert_ne!(read, 0, "{what} ended early:\n{seen}");
    }
    child.stderr = Some(stderr.into_inner());
    let name = seen
        .lines()
        .find_map(|line| line.strip_prefix("parent: created message queue \"/"))
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or_else(|| panic!("{what}: no queue name in\n{seen}"))
        .to_string();
    (child, seen, name)
}

/// Removes a message queue of this IPC namespace that a test left behind
/// on purpose.
fn remove_queue(name: &str) {
    xtask::with_mqueue_mount(&format!("rm /mnt/{name}")).expect("the queue can be removed");
}

#[test]
fn ipc_killed_run_leaves_next_run_working() {
    if !is_root("ipc_killed_run_leaves_next_run_working") {
        return;
    }
    for step in steps_from(IPC_STEP) {
        let mut command = Command::new(binary(step));
        command.args(["-v", "-i", "no"]);
        let (mut killed, _, stale) = start_until_queue_open(command, step);
        killed.kill().unwrap();
        killed.wait().unwrap();
        // SIGKILL gives the step no chance to remove its queue.
        assert_eq!(queues_named(&stale), std::slice::from_ref(&stale), "{step}");

        let output = run_with_stdin(step, &["-i", "no"], b"again\n");
        remove_queue(&stale);
        assert_eq!(
            text(&output.stdout),
            "parent: received from the child: again\n",
            "{step}: {}",
            describe(&output)
        );
    }
}

#[test]
fn ipc_runs_with_same_pid_keep_apart() {
    if !is_root("ipc_runs_with_same_pid_keep_apart") {
        return;
    }
    for step in steps_from(IPC_STEP) {
        // Each step is PID 1 of its own PID namespace, and both share the
        // host's IPC namespace, so a queue name made of the PID would clash.
        let in_new_pid_namespace = || {
            let mut command = Command::new("unshare");
            command
                .args(["--pid", "--fork"])
                .arg(binary(step))
                .args(["-v", "-i", "no"]);
            command
        };
        let (first, first_stderr, _) = start_until_queue_open(in_new_pid_namespace(), step);
        let (second, _, _) = start_until_queue_open(in_new_pid_namespace(), step);
        let (first, second) = send_in_reverse_order(first, second, step);

        let expected = "parent: received from the child: to first\n";
        assert_eq!(
            text(&first.stdout),
            expected,
            "{step}: {}",
            describe(&first)
        );
        let expected = "parent: received from the child: to second\n";
        assert_eq!(
            text(&second.stdout),
            expected,
            "{step}: {}",
            describe(&second)
        );
        let first_stderr = first_stderr + &text(&first.stderr);
        assert!(!first_stderr.contains("warning"), "{step}: {first_stderr}");
    }
}

// The root directory, in step 6.

/// Builds a jail with `sh`, `ls`, `cat` and `pwd`'s shell built-in, using
/// binlibdepcp, and returns its folder.
fn make_jail() -> tempfile::TempDir {
    let jail = open_temp_dir();
    let output = Command::new(binary("binlibdepcp"))
        .args(["/bin/sh", "/bin/ls", "/bin/cat"])
        .arg(jail.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "binlibdepcp failed: {}",
        describe(&output)
    );
    jail
}

fn jail_arg(jail: &tempfile::TempDir) -> String {
    jail.path()
        .to_str()
        .expect("a UTF-8 temporary path")
        .to_string()
}

#[test]
fn chroot_starts_in_new_root() {
    if !is_root("chroot_starts_in_new_root") {
        return;
    }
    let jail = make_jail();
    fs::write(jail.path().join("marker"), "inside the jail\n").unwrap();
    let step = STEPS[CHROOT_STEP];
    let output = Command::new(binary(step))
        .args([
            "-c",
            &jail_arg(&jail),
            "/bin/sh",
            "-c",
            "pwd; cat /marker; ls /",
        ])
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    check_status(STEPS[CHROOT_STEP], &output, 0);
    let stdout = text(&output.stdout);
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("/"), "{stdout}");
    assert_eq!(lines.next(), Some("inside the jail"), "{stdout}");
    assert!(stdout.contains("marker"), "{stdout}");
}

#[test]
fn chroot_with_all_namespaces_runs_shell() {
    if !is_root("chroot_with_all_namespaces_runs_shell") {
        return;
    }
    let jail = make_jail();
    let step = STEPS[CHROOT_STEP];
    let before = mount_points();
    let script = "echo pid $$; ls /proc/1/status; cat /proc/sys/kernel/hostname";
    let args = [
        "-p",
        "-m",
        "-u",
        "jail",
        "-n",
        "-i",
        "yes",
        "-c",
        &jail_arg(&jail),
    ];
    let output = run_with_stdin(
        step,
        &[&args[..], &["/bin/sh", "-c", script]].concat(),
        b"x\n",
    );
    check_status(STEPS[CHROOT_STEP], &output, 0);
    assert_eq!(
        text(&output.stdout).lines().next(),
        Some("pid 1"),
        "{}",
        describe(&output)
    );
    assert!(
        text(&output.stdout).contains("/proc/1/status\njail\n"),
        "{}",
        describe(&output)
    );
    assert_eq!(mount_points(), before, "the host's mount table changed");
    let proc_in_jail = jail.path().join("proc");
    assert!(
        fs::read_dir(&proc_in_jail)
            .map(|mut entries| entries.next().is_none())
            .unwrap_or(true),
        "{} is not empty on the host after the run",
        proc_in_jail.display()
    );
}

#[test]
fn chroot_missing_command_hints_binlibdepcp() {
    if !is_root("chroot_missing_command_hints_binlibdepcp") {
        return;
    }
    let jail = make_jail();
    let output = run(STEPS[CHROOT_STEP], &["-c", &jail_arg(&jail), "ps"]);
    check_status(STEPS[CHROOT_STEP], &output, 127);
    assert!(
        text(&output.stderr).contains("binlibdepcp"),
        "{}",
        describe(&output)
    );
}

#[test]
fn chroot_missing_loader_or_library_exits_127() {
    if !is_root("chroot_missing_loader_or_library_exits_127") {
        return;
    }
    let jail = make_jail();
    let bin = jail.path().join("bin");
    // A binary copied without its libraries: the loader is in the jail, but
    // not libselinux, which ls needs and sh does not.
    fs::copy("/bin/ls", bin.join("ls-no-libs")).unwrap();
    let library = jail.path().join("lib/x86_64-linux-gnu/libselinux.so.1");
    let _ = fs::remove_file(&library);
    let usr_library = jail.path().join("usr/lib/x86_64-linux-gnu/libselinux.so.1");
    let _ = fs::remove_file(&usr_library);
    let output = run(
        STEPS[CHROOT_STEP],
        &["-c", &jail_arg(&jail), "/bin/ls-no-libs"],
    );
    check_status(STEPS[CHROOT_STEP], &output, 127);
    assert!(
        text(&output.stderr).contains("binlibdepcp"),
        "{}",
        describe(&output)
    );

    // Without the ELF interpreter, execve itself fails with ENOENT.
    let interpreter_less = open_temp_dir();
    fs::create_dir(interpreter_less.path().join("bin")).unwrap();
    fs::copy("/bin/true", interpreter_less.path().join("bin/true")).unwrap();
    let output = run(
        STEPS[CHROOT_STEP],
        &["-c", &jail_arg(&interpreter_less), "/bin/true"],
    );
    check_status(STEPS[CHROOT_STEP], &output, 127);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("interpreter"), "{stderr}");
    assert!(stderr.contains("binlibdepcp"), "{stderr}");
}

#[test]
fn chroot_rejects_missing_or_file_dir() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    fs::write(&file, "").unwrap();
    let missing = dir.path().join("missing");
    for path in [&file, &missing] {
        let output = run(
            STEPS[CHROOT_STEP],
            &["-v", "-c", path.to_str().unwrap(), "true"],
        );
        assert_eq!(
            output.status.code(),
            Some(2),
            "{}: {}",
            path.display(),
            describe(&output)
        );
        let stderr = text(&output.stderr);
        assert!(stderr.contains(path.to_str().unwrap()), "{stderr}");
        assert!(!stderr.contains("cloning"), "cloned anyway: {stderr}");
    }
}

// Signals and dispositions that the command must not inherit from the tool.

#[test]
fn real_time_signal_death_gives_128_plus_n() {
    for step in STEPS {
        let output = run(step, &["sh", "-c", "kill -35 $$"]);
        check_status(step, &output, 128 + 35);
        assert!(output.stderr.is_empty(), "{step}: {}", describe(&output));
    }
}

#[test]
fn command_starts_with_sigpipe_default() {
    for step in STEPS {
        let script = "yes | head -n 1; grep SigIgn /proc/self/status";
        let output = run(step, &["sh", "-c", script]);
        check_status(step, &output, 0);
        let stdout = text(&output.stdout);
        let ignored = stdout
            .lines()
            .find_map(|line| line.strip_prefix("SigIgn:"))
            .map(|hex| u64::from_str_radix(hex.trim(), 16).expect("a hex signal set"))
            .unwrap_or_else(|| panic!("{step}: no SigIgn line in {stdout}"));
        // Bit N-1 stands for signal N.
        assert_eq!(
            ignored & (1 << (libc::SIGPIPE - 1)),
            0,
            "{step}: SIGPIPE is ignored"
        );
        assert!(stdout.starts_with("y\n"), "{step}: {stdout}");
        assert!(output.stderr.is_empty(), "{step}: {}", describe(&output));
    }
}

#[test]
fn ignored_sigchld_in_caller_does_not_hang() {
    for step in STEPS {
        let mut command = Command::new(binary(step));
        command
            .arg("true")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // SAFETY: the closure runs in the forked child before exec and
        // only calls signal(2), which is async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                libc::signal(libc::SIGCHLD, libc::SIG_IGN);
                Ok(())
            });
        }
        let output = wait_for_output(command.spawn().unwrap(), step);
        check_status(step, &output, 0);
    }
}

#[test]
fn empty_command_name_exits_127() {
    for step in STEPS {
        let output = run(step, &[""]);
        check_status(step, &output, 127);
        assert!(
            text(&output.stderr).contains("not found"),
            "{step}: {}",
            describe(&output)
        );
    }
}

#[test]
fn chroot_without_capability_fails_before_cloning() {
    if !is_root("chroot_without_capability_fails_before_cloning") {
        return;
    }
    let step = STEPS[CHROOT_STEP];
    let output = run_unprivileged(step, &[], &["-v", "-c", "/", "true"]);
    check_status(step, &output, 125);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("CAP_SYS_CHROOT"), "{stderr}");
    assert!(!stderr.contains("cloning"), "cloned anyway: {stderr}");
}

#[test]
fn chroot_finds_non_utf8_command_name() {
    if !is_root("chroot_finds_non_utf8_command_name") {
        return;
    }
    let jail = make_jail();
    // The name is searched byte for byte: a lossy conversion would look
    // for "x\u{FFFD}" and not find it.
    let name = OsStr::from_bytes(b"x\xff");
    let bin = jail.path().join("bin");
    fs::copy(bin.join("sh"), bin.join(name)).unwrap();
    let output = Command::new(binary(STEPS[CHROOT_STEP]))
        .arg("-c")
        .arg(jail.path())
        .arg(name)
        .args(["-c", "echo ran"])
        .output()
        .unwrap();
    check_status(STEPS[CHROOT_STEP], &output, 0);
    assert_eq!(text(&output.stdout), "ran\n", "{}", describe(&output));
}

#[test]
fn dangling_link_in_path_is_skipped() {
    if !is_root("dangling_link_in_path_is_skipped") {
        return;
    }
    let jail = make_jail();
    fs::write(jail.path().join("marker"), "found the real cat\n").unwrap();
    // The first PATH folder has a dangling `cat`; the search goes on to
    // the real one, as execvp(3) does.
    let sbin = jail.path().join("usr/local/sbin");
    fs::create_dir_all(&sbin).unwrap();
    std::os::unix::fs::symlink("/no/such/file", sbin.join("cat")).unwrap();
    let output = run(
        STEPS[CHROOT_STEP],
        &["-c", &jail_arg(&jail), "cat", "/marker"],
    );
    check_status(STEPS[CHROOT_STEP], &output, 0);
    assert_eq!(
        text(&output.stdout),
        "found the real cat\n",
        "{}",
        describe(&output)
    );
}

#[test]
fn ipc_closed_stdout_still_cleans_up() {
    for step in steps_from(IPC_STEP) {
        let mut child = Command::new(binary(step))
            .args(["-v", "-i", "no"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // No one reads stdout: the parent's result line meets a closed pipe.
        drop(child.stdout.take());
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"lost line\n")
            .unwrap();
        let output = wait_for_output(child, step);
        check_status(step, &output, 0);
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains("failed to write to stdout"),
            "{step}: {stderr}"
        );
        assert!(
            stderr.contains("parent: removed message queue"),
            "{step}: {stderr}"
        );
    }
}

#[test]
fn uts_namespace_takes_non_utf8_hostname() {
    if !is_root("uts_namespace_takes_non_utf8_hostname") {
        return;
    }
    for step in steps_from(UTS_STEP) {
        let output = Command::new(binary(step))
            .arg("-u")
            .arg(OsStr::from_bytes(b"box\xff"))
            .args(["cat", "/proc/sys/kernel/hostname"])
            .output()
            .unwrap();
        check_status(step, &output, 0);
        assert_eq!(output.stdout, b"box\xff\n", "{step}: {}", describe(&output));
    }
}

#[test]
fn chroot_takes_non_utf8_directory() {
    if !is_root("chroot_takes_non_utf8_directory") {
        return;
    }
    let jail = make_jail();
    let links = tempfile::tempdir().unwrap();
    let link = links.path().join(OsStr::from_bytes(b"jail\xff"));
    std::os::unix::fs::symlink(jail.path(), &link).unwrap();
    let output = Command::new(binary(STEPS[CHROOT_STEP]))
        .arg("-c")
        .arg(&link)
        .args(["/bin/sh", "-c", "pwd"])
        .output()
        .unwrap();
    check_status(STEPS[CHROOT_STEP], &output, 0);
    assert_eq!(text(&output.stdout), "/\n", "{}", describe(&output));
}
