//! Builds small programs and libraries with gcc for each loader rule, runs
//! binlibdepcp on them and then runs the program inside the jail with
//! `chroot`, so each rule is checked by the real loader.
//!
//! Needs root (for `chroot`, `unshare` and `mount`), gcc and util-linux.
//! Everything is written inside temporary folders that are removed at the
//! end; /proc is mounted only inside a private mount namespace.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

/// A folder for sources and built files, and a folder for the jail.
struct Fixture {
    build: TempDir,
    jail: TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            build: tempfile::Builder::new()
                .prefix("binlibdepcp-build")
                .tempdir()
                .unwrap(),
            jail: tempfile::Builder::new()
                .prefix("binlibdepcp-jail")
                .tempdir()
                .unwrap(),
        }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.build.path().join(relative)
    }

    fn jail(&self) -> &Path {
        self.jail.path()
    }

    /// Builds `lib/NAME.so.1` whose function `NAME_value` returns `value`
    /// plus the values of the functions of `needs`.
    fn library(
        &self,
        folder: &str,
        name: &str,
        value: i32,
        needs: &[&str],
        link_args: &[&str],
    ) -> PathBuf {
        let calls: String = needs
            .iter()
            .map(|need| format!(" + {need}_value()"))
            .collect();
        let declarations: String = needs
            .iter()
            .map(|need| format!("int {need}_value(void);\n"))
            .collect();
        let source = format!("{declarations}int {name}_value(void) {{ return {value}{calls}; }}\n");
        let source_path = self.path(&format!("{name}-{value}.c"));
        fs::write(&source_path, source).unwrap();
        let output = self.path(folder).join(format!("lib{name}.so.1"));
        fs::create_dir_all(output.parent().unwrap()).unwrap();
        let mut args = vec![
            "-shared".to_string(),
            "-fPIC".into(),
            format!("-Wl,-soname,lib{name}.so.1"),
            "-o".into(),
            output.display().to_string(),
            source_path.display().to_string(),
        ];
        args.extend(self.link_args(needs, link_args));
        gcc(&args);
        output
    }

    fn link_args(&self, needs: &[&str], extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = extra.iter().map(|arg| arg.to_string()).collect();
        for need in needs {
            args.push(format!("-l:lib{need}.so.1"));
        }
        args
    }

    /// Builds a program that prints the sum of the functions of `needs`.
    fn program(&self, relative: &str, needs: &[&str], link_args: &[&str]) -> PathBuf {
        let declarations: String = needs
            .iter()
            .map(|need| format!("int {need}_value(void);\n"))
            .collect();
        let sum: String = needs
            .iter()
            .map(|need| format!(" + {need}_value()"))
            .collect();
        let source = format!(
            "#include <stdio.h>\n{declarations}int main(void) {{ printf(\"%d\\n\", 0{sum}); return 0; }}\n"
        );
        let source_path = self.path("main.c");
        fs::write(&source_path, source).unwrap();
        let output = self.path(relative);
        fs::create_dir_all(output.parent().unwrap()).unwrap();
        let mut args = vec![
            "-o".to_string(),
            output.display().to_string(),
            source_path.display().to_string(),
        ];
        args.extend(self.link_args(needs, link_args));
        gcc(&args);
        output
    }
}

fn gcc(args: &[String]) {
    let output = Command::new("gcc").args(args).output().expect("run gcc");
    assert!(
        output.status.success(),
        "gcc {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn binlibdepcp(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_binlibdepcp"))
        .args(args)
        .output()
        .expect("run binlibdepcp")
}

fn binlibdepcp_with(options: &[&str], args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_binlibdepcp"))
        .args(options)
        .args(args)
        .output()
        .expect("run binlibdepcp")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `program` inside `jail` with /proc mounted in a private mount
/// namespace, as the loader needs it to expand `$ORIGIN` of an executable.
fn run_in_jail(jail: &Path, program: &Path) -> Output {
    fs::create_dir_all(jail.join("proc")).unwrap();
    let script = format!(
        "mount -t proc proc '{jail}/proc' && exec chroot '{jail}' '{program}'",
        jail = jail.display(),
        program = program.display()
    );
    Command::new("unshare")
        .args(["--mount", "--fork", "sh", "-c", &script])
        .output()
        .expect("run unshare")
}

fn assert_runs_in_jail(jail: &Path, program: &Path, expected: &str) {
    let output = run_in_jail(jail, program);
    assert!(
        output.status.success(),
        "program failed in jail: {}",
        text(&output.stderr)
    );
    assert_eq!(text(&output.stdout).trim(), expected);
}

fn listing(program: &Path) -> String {
    let output = binlibdepcp_with(&["--list"], &[program]);
    text(&output.stdout)
}

#[test]
fn rpath_chain_reaches_executable() {
    let fixture = Fixture::new();
    let b_dir = fixture.path("b");
    fixture.library("b", "b", 2, &[], &[]);
    let a_link = format!("-L{}", b_dir.display());
    fixture.library("a", "a", 1, &["b"], &[&a_link]);
    let rpath = format!(
        "-Wl,-rpath,{}:{},--disable-new-dtags",
        fixture.path("a").display(),
        b_dir.display()
    );
    let link_a = format!("-L{}", fixture.path("a").display());
    let program = fixture.program("bin/prog", &["a"], &[&link_a, &a_link, &rpath]);

    let list = listing(&program);
    let expected = format!(
        "libb.so.1 => {}/libb.so.1 (RPATH of {})",
        b_dir.display(),
        program.display()
    );
    assert!(
        list.contains(&expected),
        "listing lacks {expected}:\n{list}"
    );

    let output = binlibdepcp(&[&program, fixture.jail()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_runs_in_jail(fixture.jail(), &program, "3");
}

#[test]
fn runpath_not_inherited() {
    let fixture = Fixture::new();
    let b_dir = fixture.path("b");
    fixture.library("b", "b", 2, &[], &[]);
    let b_link = format!("-L{}", b_dir.display());
    fixture.library("a", "a", 1, &["b"], &[&b_link]);
    let runpath = format!(
        "-Wl,-rpath,{}:{},--enable-new-dtags",
        fixture.path("a").display(),
        b_dir.display()
    );
    let a_link = format!("-L{}", fixture.path("a").display());
    let program = fixture.program("bin/prog", &["a"], &[&a_link, &b_link, &runpath]);

    let host_run = Command::new(&program).output().unwrap();
    assert!(
        !host_run.status.success(),
        "the host loader found libb through an inherited RUNPATH"
    );

    let output = binlibdepcp(&[&program, fixture.jail()]);
    assert_eq!(output.status.code(), Some(1));
    let errors = text(&output.stderr);
    assert!(
        errors.contains("libb.so.1: not found, needed by"),
        "{errors}"
    );
    assert!(
        errors.contains("tried default folder: /lib/x86_64-linux-gnu"),
        "{errors}"
    );
    assert_eq!(
        fs::read_dir(fixture.jail()).unwrap().count(),
        0,
        "files were copied"
    );

    let library_path = b_dir.display().to_string();
    let output = binlibdepcp_with(&["--list", "--library-path", &library_path], &[&program]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("(LD_LIBRARY_PATH)"));
}

#[test]
fn origin_of_symlinked_executable() {
    let fixture = Fixture::new();
    fixture.library("real/lib", "o", 5, &[], &[]);
    let link_o = format!("-L{}", fixture.path("real/lib").display());
    let real = fixture.program(
        "real/bin/prog",
        &["o"],
        &[&link_o, "-Wl,-rpath,$ORIGIN/../lib"],
    );
    let link = fixture.path("elsewhere/prog");
    fs::create_dir_all(link.parent().unwrap()).unwrap();
    symlink(&real, &link).unwrap();

    let list = listing(&link);
    let expected = format!(
        "libo.so.1 => {}/bin/../lib/libo.so.1",
        fixture.path("real").display()
    );
    assert!(
        list.contains(&expected),
        "listing lacks {expected}:\n{list}"
    );

    let output = binlibdepcp(&[&link, fixture.jail()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("mount /proc inside the jail"));
    assert_runs_in_jail(fixture.jail(), &link, "5");
}

#[test]
fn origin_in_library_runpath() {
    let fixture = Fixture::new();
    fixture.library("lib/deps", "d", 4, &[], &[]);
    let link_d = format!("-L{}", fixture.path("lib/deps").display());
    fixture.library(
        "lib",
        "l",
        1,
        &["d"],
        &[&link_d, "-Wl,-rpath,${ORIGIN}/deps,--enable-new-dtags"],
    );
    let link_l = format!("-L{}", fixture.path("lib").display());
    let rpath = format!("-Wl,-rpath,{}", fixture.path("lib").display());
    let program = fixture.program("bin/prog", &["l"], &[&link_l, &link_d, &rpath]);

    let output = binlibdepcp(&[&program, fixture.jail()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_runs_in_jail(fixture.jail(), &program, "5");
}

/// Writes a minimal ELFCLASS32 i386 shared object header under `path`.
fn write_elf32(path: &Path) {
    let mut header = vec![0u8; 52];
    header[..4].copy_from_slice(b"\x7fELF");
    header[4] = 1; // ELFCLASS32
    header[5] = 1; // ELFDATA2LSB
    header[6] = 1; // EV_CURRENT
    header[16] = 3; // ET_DYN
    header[18] = 3; // EM_386
    header[20] = 1; // e_version
    header.resize(128, 0);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, header).unwrap();
}

#[test]
fn wrong_class_candidate_skipped() {
    let fixture = Fixture::new();
    write_elf32(&fixture.path("first/libw.so.1"));
    fixture.library("second", "w", 7, &[], &[]);
    let link = format!("-L{}", fixture.path("second").display());
    let rpath = format!(
        "-Wl,-rpath,{}:{}",
        fixture.path("first").display(),
        fixture.path("second").display()
    );
    let program = fixture.program("bin/prog", &["w"], &[&link, &rpath]);

    let list = listing(&program);
    let expected = format!(
        "libw.so.1 => {}/libw.so.1",
        fixture.path("second").display()
    );
    assert!(
        list.contains(&expected),
        "listing lacks {expected}:\n{list}"
    );

    let output = binlibdepcp(&[&program, fixture.jail()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        !fixture
            .jail()
            .join(fixture.path("first").strip_prefix("/").unwrap())
            .exists()
    );
    assert_runs_in_jail(fixture.jail(), &program, "7");
}

#[test]
fn hwcaps_subfolder_preferred() {
    let fixture = Fixture::new();
    fixture.library("lib", "h", 1, &[], &[]);
    fixture.library("lib/glibc-hwcaps/x86-64-v2", "h", 2, &[], &[]);
    let link = format!("-L{}", fixture.path("lib").display());
    let rpath = format!("-Wl,-rpath,{}", fixture.path("lib").display());
    let program = fixture.program("bin/prog", &["h"], &[&link, &rpath]);

    let list = listing(&program);
    let expected = format!(
        "{}/glibc-hwcaps/x86-64-v2/libh.so.1",
        fixture.path("lib").display()
    );
    assert!(
        list.contains(&expected),
        "listing lacks {expected}:\n{list}"
    );

    let output = binlibdepcp(&[&program, fixture.jail()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_runs_in_jail(fixture.jail(), &program, "2");
}

#[test]
fn library_symlinks_recreated() {
    let fixture = Fixture::new();
    let built = fixture.library("lib", "s", 9, &[], &[]);
    let versioned = fixture.path("lib/libs.so.1.2.3");
    fs::rename(&built, &versioned).unwrap();
    symlink("libs.so.1.2.3", &built).unwrap();
    let link = format!("-L{}", fixture.path("lib").display());
    let rpath = format!("-Wl,-rpath,{}", fixture.path("lib").display());
    let program = fixture.program("bin/prog", &["s"], &[&link, &rpath]);

    let output = binlibdepcp(&[&program, fixture.jail()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let in_jail = fixture.jail().join(built.strip_prefix("/").unwrap());
    let meta = fs::symlink_metadata(&in_jail).unwrap();
    assert!(
        meta.file_type().is_symlink(),
        "{} is not a symlink",
        in_jail.display()
    );
    assert_eq!(fs::read_link(&in_jail).unwrap(), Path::new("libs.so.1.2.3"));
    let interpreter = fixture.jail().join("lib64/ld-linux-x86-64.so.2");
    assert!(
        fs::symlink_metadata(&interpreter)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        fs::canonicalize(&interpreter)
            .unwrap()
            .starts_with(fs::canonicalize(fixture.jail()).unwrap())
    );
    assert_runs_in_jail(fixture.jail(), &program, "9");
}

#[test]
fn missing_library_copies_nothing() {
    let fixture = Fixture::new();
    fixture.library("gone", "g", 1, &[], &[]);
    let link = format!("-L{}", fixture.path("gone").display());
    let program = fixture.program("bin/prog", &["g"], &[&link]);
    fs::remove_dir_all(fixture.path("gone")).unwrap();

    let output = binlibdepcp(&[&program, fixture.jail()]);
    assert_eq!(output.status.code(), Some(1));
    let errors = text(&output.stderr);
    assert!(
        errors.contains("libg.so.1: not found, needed by"),
        "{errors}"
    );
    assert!(
        errors.contains("tried ld.so.cache") || errors.contains("tried default folder"),
        "{errors}"
    );
    assert_eq!(fs::read_dir(fixture.jail()).unwrap().count(), 0);

    let output = binlibdepcp_with(&["--list"], &[&program]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stdout).contains("libg.so.1 => not found"));
}

#[test]
fn static_executable_copied_alone() {
    let fixture = Fixture::new();
    let source = fixture.path("static.c");
    // An endless _start needs neither libc nor a static libc.a.
    fs::write(&source, "void _start(void) { for (;;) {} }\n").unwrap();
    let program = fixture.path("bin/static");
    fs::create_dir_all(program.parent().unwrap()).unwrap();
    gcc(&[
        "-static".into(),
        "-nostdlib".into(),
        "-o".into(),
        program.display().to_string(),
        source.display().to_string(),
    ]);
    let output = binlibdepcp_with(&["--list"], &[&program]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("(static)"));
    let output = binlibdepcp_with(&["--inhibit-cache"], &[&program, fixture.jail()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("1 file copied"),
        "{}",
        text(&output.stdout)
    );
}

#[test]
fn script_copies_its_interpreter() {
    let fixture = Fixture::new();
    let script = fixture.path("bin/hello");
    fs::create_dir_all(script.parent().unwrap()).unwrap();
    fs::write(&script, "#!/bin/sh\necho hello from the jail\n").unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    let output = binlibdepcp(&[&script, fixture.jail()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_runs_in_jail(fixture.jail(), &script, "hello from the jail");
}

#[test]
fn invalid_inputs_rejected() {
    let fixture = Fixture::new();
    let missing = fixture.path("no-such-program");
    let output = binlibdepcp(&[&missing, fixture.jail()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains(&format!("failed to read {}", missing.display())));

    let not_elf = fixture.path("notes.txt");
    fs::write(&not_elf, "plain text\n").unwrap();
    let output = binlibdepcp(&[&not_elf, fixture.jail()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("neither an ELF file nor a #! script"));

    let truncated = fixture.path("truncated");
    fs::write(&truncated, &fs::read("/bin/true").unwrap()[..100]).unwrap();
    let output = binlibdepcp(&[&truncated, fixture.jail()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains(&format!("invalid ELF file {}", truncated.display())));

    let file_target = fixture.path("target-file");
    fs::write(&file_target, "").unwrap();
    let output = binlibdepcp(&[Path::new("/bin/true"), &file_target]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("not a folder"));

    let output = binlibdepcp(&[Path::new("/bin/true")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!text(&output.stderr).contains("panicked"));
}

#[test]
fn symlink_out_of_target_refused() {
    let fixture = Fixture::new();
    let outside = fixture.path("outside");
    fs::create_dir_all(&outside).unwrap();
    symlink(&outside, fixture.jail().join("usr")).unwrap();
    let output = binlibdepcp(&[Path::new("/bin/true"), fixture.jail()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("refusing to write through"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(
        fs::read_dir(&outside).unwrap().count(),
        0,
        "wrote outside the target"
    );
}

#[test]
fn no_clobber_keeps_existing_files() {
    let fixture = Fixture::new();
    let output = binlibdepcp(&[Path::new("/bin/true"), fixture.jail()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let copied = fixture.jail().join("usr/bin/true");
    fs::write(&copied, "kept").unwrap();
    let output = binlibdepcp_with(&["-n"], &[Path::new("/bin/true"), fixture.jail()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("/usr/bin/true : SKIPPED"));
    assert_eq!(fs::read_to_string(&copied).unwrap(), "kept");

    let output = binlibdepcp(&[Path::new("/bin/true"), fixture.jail()]);
    assert!(text(&output.stdout).contains("/usr/bin/true : OK"));
    let host = fs::metadata("/usr/bin/true").unwrap();
    let jail = fs::metadata(&copied).unwrap();
    assert_eq!(jail.len(), host.len());
    assert_eq!(jail.permissions().mode(), host.permissions().mode());
    assert_eq!(jail.modified().unwrap(), host.modified().unwrap());
}

#[test]
fn shell_tools_run_in_jail() {
    let fixture = Fixture::new();
    let tools = [
        Path::new("/bin/sh"),
        Path::new("/bin/ls"),
        Path::new("/bin/cat"),
    ];
    let mut args: Vec<&Path> = tools.to_vec();
    args.push(fixture.jail());
    let output = binlibdepcp(&args);
    assert!(output.status.success(), "{}", text(&output.stderr));
    fs::write(fixture.jail().join("etc/greeting"), "hello\n").unwrap();
    let output = Command::new("chroot")
        .arg(fixture.jail())
        .args(["/bin/sh", "-c", "ls / ; cat /etc/greeting"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let listing = text(&output.stdout);
    for name in ["bin", "etc", "lib", "lib64", "usr", "hello"] {
        assert!(
            listing.lines().any(|line| line == name),
            "{name} missing from:\n{listing}"
        );
    }
}

#[test]
fn relative_interpreters_rejected() {
    let fixture = Fixture::new();
    let script = fixture.path("bin/relative-script");
    fs::create_dir_all(script.parent().unwrap()).unwrap();
    fs::write(&script, "#!sh\necho never\n").unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();

    let source = fixture.path("relative.c");
    fs::write(&source, "int main(void) { return 0; }\n").unwrap();
    let program = fixture.path("bin/relative-loader");
    gcc(&[
        "-Wl,--dynamic-linker=ld-linux-x86-64.so.2".into(),
        "-o".into(),
        program.display().to_string(),
        source.display().to_string(),
    ]);

    for (path, kind) in [(&script, "#!"), (&program, "PT_INTERP")] {
        // Listing and copying must agree: both reject the program.
        let listed = binlibdepcp_with(&["--list"], &[path]);
        assert_eq!(listed.status.code(), Some(1), "{}", text(&listed.stderr));
        let stderr = text(&listed.stderr);
        assert!(stderr.contains(&format!("{kind} interpreter")), "{stderr}");
        assert!(stderr.contains("relative path"), "{stderr}");

        let copied = binlibdepcp(&[path, fixture.jail()]);
        assert_eq!(copied.status.code(), Some(1), "{}", text(&copied.stderr));
        assert!(text(&copied.stderr).contains("relative path"));
        let entries = fs::read_dir(fixture.jail()).map_or(0, |entries| entries.count());
        assert_eq!(entries, 0, "{kind}: something was copied");
    }
}
