//! Reads what the dynamic loader needs from one ELF file: whether the loader
//! would accept it as an x86_64 object, its `PT_INTERP`, and the string
//! entries of its dynamic section (`DT_NEEDED`, `DT_RPATH`, `DT_RUNPATH`,
//! `DT_SONAME`) plus the `DF_1_NODEFLIB` flag.
//!
//! Like the loader, it reads the dynamic section through the program headers
//! (`PT_DYNAMIC`, and `DT_STRTAB` mapped through the `PT_LOAD` segments), so
//! stripped section headers do not matter. It leaves out everything the loader
//! checks only after mapping: symbol versions, relocations, the ABI note.
//! Every read is bounds-checked and the output is never larger than the
//! input, so arbitrary bytes give an error, not a panic.

use object::elf::{self, FileHeader64, ProgramHeader64};
use object::read::elf::{Dyn, FileHeader, ProgramHeader};
use object::{Endianness, ReadCache, ReadCacheOps, ReadRef};
use std::fmt;
use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;

/// Size of an `Elf64_Ehdr`; shorter files are rejected as "file too short".
const EHDR64_SIZE: usize = 64;

/// Size of an `Elf64_Phdr`, the only `e_phentsize` the x86_64 loader accepts.
const PHDR64_SIZE: u16 = 56;

/// Bytes a [`FileReader`] reads from the start of a file in one call. The
/// ELF header, the program headers and `PT_INTERP` of usual objects fit in
/// them, and so does the first line of a `#!` script.
pub const PREFIX_SIZE: u64 = 4096;

/// The x86_64 glibc loader's verdict on a file it opens as a library candidate.
///
/// glibc 2.36 `open_verify` in elf/dl-load.c skips a file of the other ELF
/// class or another machine and goes on searching, but stops the whole load
/// with an error for anything else that is not a loadable ELF object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// An ELFCLASS64, little-endian, EM_X86_64 object of type ET_DYN or ET_EXEC.
    Loadable,
    /// ELF of the other class (ELFCLASS32): the loader skips it.
    WrongClass,
    /// ELFCLASS64 for another machine: the loader skips it.
    WrongMachine(u16),
    /// Not ELF at all, or ELF the loader rejects with an error.
    Rejected(String),
}

/// The dynamic-linking facts of one loadable object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DynamicInfo {
    /// `PT_INTERP` without its terminating NUL.
    pub interpreter: Option<Vec<u8>>,
    /// True when the file has a `PT_DYNAMIC` segment.
    pub has_dynamic: bool,
    /// `DT_NEEDED` entries in file order.
    pub needed: Vec<Vec<u8>>,
    /// `DT_RPATH`, as written (tokens not expanded).
    pub rpath: Option<Vec<u8>>,
    /// `DT_RUNPATH`, as written.
    pub runpath: Option<Vec<u8>>,
    /// `DT_SONAME`.
    pub soname: Option<Vec<u8>>,
    /// `DF_1_NODEFLIB` in `DT_FLAGS_1`: no cache and no default folders.
    pub nodeflib: bool,
}

impl DynamicInfo {
    /// Returns the `DT_RPATH` the loader uses: glibc's get-dynamic-info.h
    /// drops `DT_RPATH` when `DT_RUNPATH` is present.
    pub fn effective_rpath(&self) -> Option<&[u8]> {
        match self.runpath {
            Some(_) => None,
            None => self.rpath.as_deref(),
        }
    }
}

/// A reason why the dynamic section could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfError(pub String);

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ElfError {}

/// Classifies `data` the way glibc 2.36 `open_verify` classifies a candidate
/// library: the order of the checks decides which error wins.
pub fn identify(data: &[u8]) -> Identity {
    if data.len() < 4 || data[..4] != elf::ELFMAG {
        return Identity::Rejected("invalid ELF header".into());
    }
    if data.len() < EHDR64_SIZE {
        // The loader reads a full Elf64_Ehdr before checking the class, so a
        // short 32-bit file is rejected as too short as well.
        return Identity::Rejected("file too short".into());
    }
    let ident = &data[..16];
    if ident[4] != elf::ELFCLASS64.0 {
        return Identity::WrongClass;
    }
    if let Some(reason) = check_ident_fields(ident) {
        return Identity::Rejected(reason.into());
    }
    let Ok(header) = FileHeader64::<Endianness>::parse(data) else {
        return Identity::Rejected("file too short".into());
    };
    let machine = header.e_machine(Endianness::Little);
    if machine != elf::EM_X86_64 {
        return Identity::WrongMachine(machine.0);
    }
    check_type_and_phentsize(header)
}

/// Checks data encoding, version, OS ABI and padding, which glibc tests
/// together with the magic through `VALID_ELF_HEADER`.
/// The offsets are those of `e_ident` in the ELF specification.
fn check_ident_fields(ident: &[u8]) -> Option<&'static str> {
    if ident[5] != elf::ELFDATA2LSB.0 {
        return Some("ELF file data encoding not little-endian");
    }
    if ident[6] != elf::EV_CURRENT.0 {
        return Some("ELF file version ident does not match current one");
    }
    let osabi = ident[7];
    let abiversion = ident[8];
    // glibc accepts ELFOSABI_SYSV (0) with ABI version 0 and ELFOSABI_GNU (3) with a
    // version below LIBC_ABI_MAX.
    // NOTE: LIBC_ABI_MAX is assumed to be 3, not read from glibc 2.36's
    // source. A file with GNU ABI version 3 or more is rejected here.
    let abi_ok = match osabi {
        0 => abiversion == 0,
        3 => abiversion < 3,
        _ => false,
    };
    if !abi_ok {
        return Some("ELF file OS ABI invalid");
    }
    if ident[9..16].iter().any(|&b| b != 0) {
        return Some("nonzero padding in e_ident");
    }
    None
}

fn check_type_and_phentsize(header: &FileHeader64<Endianness>) -> Identity {
    let endian = Endianness::Little;
    let e_type = header.e_type(endian);
    if e_type != elf::ET_DYN && e_type != elf::ET_EXEC {
        return Identity::Rejected("only ET_DYN and ET_EXEC can be loaded".into());
    }
    if header.e_phentsize(endian) != PHDR64_SIZE {
        return Identity::Rejected("ELF file's phentsize not the expected size".into());
    }
    Identity::Loadable
}

/// Reads the interpreter and the dynamic section of a loadable object held in
/// memory.
///
/// Call [`identify`] first: this function expects an x86_64 ELF file and
/// returns an error for anything else, including truncated tables and string
/// offsets that point outside the file.
pub fn read_dynamic_info(data: &[u8]) -> Result<DynamicInfo, ElfError> {
    read_dynamic_info_from(data)
}

/// Reads the interpreter and the dynamic section through any [`ReadRef`]:
/// a byte slice, or a [`FileReader`] that reads only the ranges asked for.
///
/// The ranges read are the ELF header, the program headers, the last
/// `PT_INTERP`, the first `PT_DYNAMIC` and the part of `DT_STRTAB` that
/// contains the requested strings. Both readers (a slice, and object 0.40's
/// `ReadCache` behind [`FileReader`]) check a range against the file size
/// before reading it, so a hostile offset or size never allocates past it.
pub fn read_dynamic_info_from<'data, R: ReadRef<'data>>(data: R) -> Result<DynamicInfo, ElfError> {
    let file_size = data
        .len()
        .map_err(|()| ElfError("failed to read the file size".into()))?;
    let header = FileHeader64::<Endianness>::parse(data).map_err(object_error)?;
    let endian = header.endian().map_err(object_error)?;
    if endian != Endianness::Little {
        return Err(ElfError("not a little-endian ELF file".into()));
    }
    let headers = header.program_headers(endian, data).map_err(object_error)?;
    let mut info = DynamicInfo {
        interpreter: read_interpreter(headers, file_size, data)?,
        ..DynamicInfo::default()
    };
    let Some(dynamic) = find_dynamic(headers, endian, data)? else {
        return Ok(info);
    };
    info.has_dynamic = true;
    read_dynamic_entries(&mut info, dynamic, headers, file_size, data)?;
    Ok(info)
}

fn object_error(err: object::read::Error) -> ElfError {
    ElfError(err.to_string())
}

/// Returns the text of the last `PT_INTERP` (a real program has one).
/// Every `PT_INTERP` must lie inside the file, but only the last one is read,
/// so that a file with thousands of them cannot make thousands of reads.
fn read_interpreter<'data, R: ReadRef<'data>>(
    headers: &[ProgramHeader64<Endianness>],
    file_size: u64,
    data: R,
) -> Result<Option<Vec<u8>>, ElfError> {
    let endian = Endianness::Little;
    let mut last = None;
    for segment in headers {
        if segment.p_type(endian) != elf::PT_INTERP {
            continue;
        }
        let (offset, size) = segment.file_range(endian);
        if offset.checked_add(size).is_none_or(|end| end > file_size) {
            return Err(ElfError(
                "Invalid ELF interpreter segment offset or size".into(),
            ));
        }
        last = Some(segment);
    }
    let Some(segment) = last else {
        return Ok(None);
    };
    let interpreter = segment.interpreter(endian, data).map_err(object_error)?;
    Ok(interpreter.map(<[u8]>::to_vec))
}

fn find_dynamic<'data, R: ReadRef<'data>>(
    headers: &[ProgramHeader64<Endianness>],
    endian: Endianness,
    data: R,
) -> Result<Option<&'data [elf::Dyn64<Endianness>]>, ElfError> {
    for segment in headers {
        if let Some(entries) = segment.dynamic(endian, data).map_err(object_error)? {
            return Ok(Some(entries));
        }
    }
    Ok(None)
}

/// Fills `info` from the dynamic entries, which end at the first `DT_NULL`.
fn read_dynamic_entries<'data, R: ReadRef<'data>>(
    info: &mut DynamicInfo,
    entries: &[elf::Dyn64<Endianness>],
    headers: &[ProgramHeader64<Endianness>],
    file_size: u64,
    data: R,
) -> Result<(), ElfError> {
    let endian = Endianness::Little;
    let mut strtab_addr = None;
    let mut strtab_size = None;
    let mut offsets = Vec::new();
    for entry in entries {
        let tag = entry.d_tag(endian);
        let value = entry.val(endian);
        match tag {
            elf::DT_NULL => break,
            elf::DT_STRTAB => strtab_addr = Some(value),
            elf::DT_STRSZ => strtab_size = Some(value),
            elf::DT_FLAGS_1 => info.nodeflib = value & elf::DF_1_NODEFLIB.0 != 0,
            elf::DT_NEEDED | elf::DT_RPATH | elf::DT_RUNPATH | elf::DT_SONAME => {
                offsets.push((tag, value));
            }
            _ => {}
        }
    }
    if offsets.is_empty() {
        return Ok(());
    }
    let Some(addr) = strtab_addr else {
        return Err(ElfError(
            "dynamic section has strings but no DT_STRTAB".into(),
        ));
    };
    let strtab = map_address(headers, file_size, addr, strtab_size)?;
    let requested = offsets.iter().map(|&(_, offset)| offset);
    let mut strings = StringTable::new(data, strtab, requested)?;
    // Entries may all point at one long string, so without this budget a
    // file of n bytes could make n * n / 32 bytes of output.
    let mut budget = file_size;
    for (tag, offset) in offsets {
        let text = strings.string(offset)?;
        budget = budget.checked_sub(text.len() as u64).ok_or_else(|| {
            ElfError(format!(
                "dynamic strings add up to more than the file's {file_size} bytes: entries repeat one string"
            ))
        })?;
        match tag {
            elf::DT_NEEDED => info.needed.push(text),
            elf::DT_RPATH => info.rpath = Some(text),
            elf::DT_RUNPATH => info.runpath = Some(text),
            _ => info.soname = Some(text),
        }
    }
    Ok(())
}

/// Returns the file range at virtual address `addr`, up to `size` bytes or
/// the end of the `PT_LOAD` segment that contains it. A segment whose file
/// range lies outside the file is passed over.
fn map_address(
    headers: &[ProgramHeader64<Endianness>],
    file_size: u64,
    addr: u64,
    size: Option<u64>,
) -> Result<Range<u64>, ElfError> {
    let endian = Endianness::Little;
    for segment in headers {
        if segment.p_type(endian) != elf::PT_LOAD {
            continue;
        }
        let (offset, filesz) = segment.file_range(endian);
        if offset.checked_add(filesz).is_none_or(|end| end > file_size) {
            continue;
        }
        let Some(skip) = addr.checked_sub(segment.p_vaddr(endian)) else {
            continue;
        };
        if skip >= filesz {
            continue;
        }
        let rest = filesz - skip;
        let start = offset + skip;
        return Ok(start..start + size.unwrap_or(rest).min(rest));
    }
    Err(ElfError(format!(
        "DT_STRTAB address {addr:#x} is not inside any PT_LOAD segment"
    )))
}

/// Bytes read past the last requested string offset: enough for the usual
/// library names and search lists, so one read serves all of them.
const STRING_TAIL: u64 = 4096;

/// The requested strings of `DT_STRTAB`, read without the rest of the table,
/// which contains every symbol name and runs to megabytes in large programs.
///
/// The first read covers the requested offsets plus [`STRING_TAIL`] bytes. A
/// string that runs past it makes one more read, to the end of the table,
/// so a file makes at most two reads of at most its own size here.
struct StringTable<'data, R: ReadRef<'data>> {
    data: R,
    /// File range of the whole table.
    table: Range<u64>,
    /// Table offset of the first byte of `window` and of `rest`.
    base: u64,
    window: &'data [u8],
    rest: Option<&'data [u8]>,
}

impl<'data, R: ReadRef<'data>> StringTable<'data, R> {
    fn new(
        data: R,
        table: Range<u64>,
        offsets: impl Iterator<Item = u64> + Clone,
    ) -> Result<Self, ElfError> {
        let length = table.end - table.start;
        let base = offsets.clone().min().unwrap_or(0).min(length);
        let last = offsets.max().unwrap_or(0);
        let end = last.saturating_add(STRING_TAIL).clamp(base, length);
        let window = read_table(data, table.start + base, end - base)?;
        Ok(StringTable {
            data,
            table,
            base,
            window,
            rest: None,
        })
    }

    /// Returns the NUL-terminated string at `offset` in the table.
    fn string(&mut self, offset: u64) -> Result<Vec<u8>, ElfError> {
        let bad = || {
            ElfError(format!(
                "dynamic string offset {offset} is outside DT_STRTAB"
            ))
        };
        let start = offset
            .checked_sub(self.base)
            .and_then(|start| usize::try_from(start).ok())
            .ok_or_else(bad)?;
        if let Some(text) = self.window.get(start..).and_then(until_nul) {
            return Ok(text.to_vec());
        }
        let rest = match self.rest {
            Some(rest) => rest,
            None => {
                let length = self.table.end - self.table.start - self.base;
                let rest = read_table(self.data, self.table.start + self.base, length)?;
                *self.rest.insert(rest)
            }
        };
        let text = rest.get(start..).and_then(until_nul).ok_or_else(bad)?;
        Ok(text.to_vec())
    }
}

fn read_table<'data, R: ReadRef<'data>>(
    data: R,
    offset: u64,
    length: u64,
) -> Result<&'data [u8], ElfError> {
    data.read_bytes_at(offset, length).map_err(|()| {
        ElfError(format!(
            "failed to read DT_STRTAB at file offset {offset:#x}"
        ))
    })
}

/// Returns the bytes before the first NUL, or `None` without a NUL.
fn until_nul(bytes: &[u8]) -> Option<&[u8]> {
    let end = bytes.iter().position(|&b| b == 0)?;
    Some(&bytes[..end])
}

/// An open file read in ranges, for [`read_dynamic_info_from`].
///
/// It reads the first [`PREFIX_SIZE`] bytes at once and every other range
/// with one pread(2) when the parser requests it, so parsing a large library
/// reads a few KiB, not the whole file. The ranges read stay in memory until
/// the reader is dropped.
#[derive(Debug)]
pub struct FileReader {
    prefix: Vec<u8>,
    cache: ReadCache<FileRanges>,
}

impl FileReader {
    /// Reads the start of `file`, whose size is `size` bytes (from fstat).
    pub fn new(file: File, size: u64) -> io::Result<FileReader> {
        let mut prefix = vec![0; PREFIX_SIZE.min(size) as usize];
        let mut filled = 0;
        while filled < prefix.len() {
            match file.read_at(&mut prefix[filled..], filled as u64) {
                Ok(0) => break,
                Ok(count) => filled += count,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
        prefix.truncate(filled);
        let ranges = FileRanges {
            file,
            size,
            position: 0,
            prefix: prefix.clone(),
        };
        Ok(FileReader {
            prefix,
            cache: ReadCache::new(ranges),
        })
    }

    /// Returns the first bytes of the file: [`PREFIX_SIZE`] bytes, or fewer
    /// for a shorter file.
    pub fn start(&self) -> &[u8] {
        &self.prefix
    }

    /// Classifies the file as [`identify`] does.
    pub fn identify(&self) -> Identity {
        identify(self.start())
    }

    /// Reads the interpreter and the dynamic section, as
    /// [`read_dynamic_info`] does for bytes in memory.
    pub fn dynamic_info(&self) -> Result<DynamicInfo, ElfError> {
        read_dynamic_info_from(&self.cache)
    }
}

/// The file behind a [`FileReader`]: positioned reads, with the prefix
/// served from memory.
#[derive(Debug)]
struct FileRanges {
    file: File,
    size: u64,
    position: u64,
    prefix: Vec<u8>,
}

impl ReadCacheOps for FileRanges {
    fn len(&mut self) -> Result<u64, ()> {
        Ok(self.size)
    }

    fn seek(&mut self, position: u64) -> Result<u64, ()> {
        self.position = position;
        Ok(position)
    }

    fn read(&mut self, buffer: &mut [u8]) -> Result<usize, ()> {
        let cached = usize::try_from(self.position)
            .ok()
            .and_then(|start| self.prefix.get(start..))
            .unwrap_or_default();
        let count = if cached.is_empty() {
            loop {
                match self.file.read_at(buffer, self.position) {
                    Ok(count) => break count,
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => return Err(()),
                }
            }
        } else {
            let count = cached.len().min(buffer.len());
            buffer[..count].copy_from_slice(&cached[..count]);
            count
        };
        self.position += count as u64;
        Ok(count)
    }

    fn read_exact(&mut self, mut buffer: &mut [u8]) -> Result<(), ()> {
        while !buffer.is_empty() {
            let count = self.read(buffer)?;
            if count == 0 {
                return Err(());
            }
            buffer = &mut buffer[count..];
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_program_reads() {
        let data = std::fs::read("/bin/ls").unwrap();
        assert_eq!(identify(&data), Identity::Loadable);
        let info = read_dynamic_info(&data).unwrap();
        assert_eq!(
            info.interpreter.as_deref(),
            Some(&b"/lib64/ld-linux-x86-64.so.2"[..])
        );
        assert!(info.needed.iter().any(|name| name == b"libc.so.6"));
    }

    #[test]
    fn identity_of_other_files() {
        let mut header = vec![0u8; 64];
        header[..4].copy_from_slice(&elf::ELFMAG);
        header[4] = 1;
        assert_eq!(identify(&header), Identity::WrongClass);
        assert_eq!(
            identify(b"#!/bin/sh\n"),
            Identity::Rejected("invalid ELF header".into())
        );
        assert_eq!(
            identify(b"\x7fELF\x02"),
            Identity::Rejected("file too short".into())
        );
        let mut aarch64 = std::fs::read("/bin/ls").unwrap();
        aarch64[18] = 183;
        assert_eq!(identify(&aarch64), Identity::WrongMachine(183));
    }

    #[test]
    fn string_table_reads_past_window() {
        let mut table = vec![0u8];
        table.extend(std::iter::repeat_n(b'a', 5000));
        table.extend_from_slice(b"\0libx.so\0");
        let length = table.len() as u64;
        let mut strings = StringTable::new(&table[..], 0..length, [1].into_iter()).unwrap();
        assert_eq!(strings.window.len() as u64, STRING_TAIL);
        assert_eq!(strings.string(1).unwrap(), vec![b'a'; 5000]);
        assert_eq!(strings.string(5002).unwrap(), b"libx.so");
        assert!(strings.string(0).is_err());
        assert!(strings.string(length).is_err());
    }

    #[test]
    fn damaged_elf_never_panics() {
        let original = std::fs::read("/lib/x86_64-linux-gnu/libz.so.1").unwrap();
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        for cut in (0..2048).step_by(7) {
            let _ = read_dynamic_info(&original[..cut.min(original.len())]);
        }
        for _ in 0..2000 {
            let mut damaged = original.clone();
            for _ in 0..4 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Most damage goes to the headers, where the offsets are.
                let index = (state as usize) % damaged.len().min(4096);
                damaged[index] = (state >> 40) as u8;
            }
            identify(&damaged);
            let _ = read_dynamic_info(&damaged);
        }
    }
}
