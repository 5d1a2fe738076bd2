//! Reading a trace file: the text of a plain or gzip file, bounded by a
//! size limit (a gzip bomb is refused after one byte too many), and an
//! SWF file parsed as it is decompressed, on two threads.
//!
//! Invariant: what [`parse_file`] returns is what parsing the whole of
//! [`read_text`] returns, errors included (a read error before a parse
//! error), whatever the pieces the text arrives in.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::{MAX_TRACE_TEXT, Parsed, TraceFormat, parse_text, swf};
use crate::text::{FileError, without_bom};
use crate::units::Bytes;

/// The text of the trace file at `path`, decompressed as it is read when
/// it starts with the gzip magic bytes `1f 8b`. More than `max` bytes of
/// text (plain or decompressed) is an error, found after reading at most
/// one byte more. Some archive headers carry Latin-1 names in comments;
/// invalid UTF-8 is replaced, and a replaced byte in a data field fails
/// that field's parse.
pub fn read_text(path: &Path, max: Bytes) -> Result<String, FileError> {
    let opened = TextSource::open(path, max)?;
    let capacity = opened.size_hint.min(max.as_u64()).saturating_add(1);
    let mut bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    let gzip = opened.gzip;
    opened
        .reader
        .take(max.as_u64().saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| opened.errors.read(gzip, e))?;
    if bytes.len() as u64 > max.as_u64() {
        return Err(opened.errors.too_large(gzip, max));
    }
    Ok(String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// The column names of the first non-blank line of the CSV file at
/// `path` (plain or gzip, a byte-order mark skipped), each trimmed, and
/// that line's 1-based number; what a column map is checked against
/// before the file is imported. Reads the file only up to that line.
pub fn csv_header(path: &Path) -> Result<(usize, Vec<String>), FileError> {
    let opened = TextSource::open(path, MAX_TRACE_TEXT)?;
    let gzip = opened.gzip;
    let mut reader = BufReader::new(opened.reader.take(MAX_TRACE_TEXT.as_u64()));
    let mut line = String::new();
    let mut number = 0;
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| opened.errors.read(gzip, e))?;
        number += 1;
        if n == 0 {
            return Ok((number, Vec::new()));
        }
        let text = if number == 1 {
            without_bom(&line)
        } else {
            &line
        };
        if !text.trim().is_empty() {
            let fields = super::csv_table::split_line(text.trim_end_matches(['\r', '\n']));
            return Ok((
                number,
                fields
                    .into_iter()
                    .map(|(_, f)| f.trim().to_string())
                    .collect(),
            ));
        }
    }
}

/// A trace file opened for reading: plain or gzip, with the size of its
/// text when it is known.
struct TextSource {
    reader: Box<dyn Read + Send>,
    gzip: bool,
    /// The text's size, to allocate once: a regular file's length, or the
    /// size gzip records in its last 4 bytes (that of the last member,
    /// modulo 2^32, and at most 32 times the file: a hint only); 0 if
    /// unknown.
    size_hint: u64,
    errors: ReadErrors,
}

/// The errors of reading one file.
struct ReadErrors {
    shown: String,
}

impl ReadErrors {
    fn unreadable(&self, e: std::io::Error) -> FileError {
        FileError::at(
            &self.shown,
            0,
            0,
            format!("cannot read the file: {e}"),
            "a readable trace file, plain or gzip",
            "check the path and the file's permissions",
        )
    }

    /// A read of the text failed.
    fn read(&self, gzip: bool, e: std::io::Error) -> FileError {
        if !gzip {
            return self.unreadable(e);
        }
        FileError::at(
            &self.shown,
            0,
            0,
            format!("cannot decompress the gzip data: {e}"),
            "a complete gzip file (it starts with the gzip magic bytes 1f 8b)",
            "download the file again, or check it with `gzip -t`",
        )
    }

    /// The text is longer than `max`.
    fn too_large(&self, gzip: bool, max: Bytes) -> FileError {
        let found = if gzip {
            format!("the gzip data decompresses to more than {max}")
        } else {
            format!("the file holds more than {max}")
        };
        FileError::at(
            &self.shown,
            0,
            0,
            format!("{found}, the most a trace may hold"),
            format!("a trace of at most {max} of text"),
            "replay a part of it: keep the lines you need in a new file \
             (`zcat FILE | head -n 1000000 > part.swf`); a small file that \
             decompresses to this much is no trace (a gzip bomb)",
        )
    }
}

impl TextSource {
    fn open(path: &Path, max: Bytes) -> Result<TextSource, FileError> {
        let errors = ReadErrors {
            shown: path.display().to_string(),
        };
        let unreadable = |e| errors.unreadable(e);
        let mut file = File::open(path).map_err(unreadable)?;
        let metadata = file.metadata().map_err(unreadable)?;
        let length = metadata.is_file().then_some(metadata.len());
        let gzip_size = match length {
            Some(len) if len >= 18 => {
                let mut size = [0u8; 4];
                file.seek(SeekFrom::End(-4)).map_err(unreadable)?;
                file.read_exact(&mut size).map_err(unreadable)?;
                file.seek(SeekFrom::Start(0)).map_err(unreadable)?;
                Some(u64::from(u32::from_le_bytes(size)))
            }
            _ => None,
        };
        let mut file = BufReader::with_capacity(1 << 16, file);
        let gzip = file
            .fill_buf()
            .map_err(unreadable)?
            .starts_with(&[0x1f, 0x8b]);
        // A forged size cannot make a small file reserve much: text
        // compresses some 6 to 10 times, and a larger text grows the
        // buffer as it comes.
        let size_hint = if gzip {
            gzip_size.map(|size| size.min(length.unwrap_or(0).saturating_mul(32)))
        } else {
            length
        }
        .unwrap_or(0)
        .min(max.as_u64());
        let reader: Box<dyn Read + Send> = if gzip {
            Box::new(flate2::bufread::MultiGzDecoder::new(file))
        } else {
            Box::new(file)
        };
        Ok(TextSource {
            reader,
            gzip,
            size_hint,
            errors,
        })
    }
}

/// Reads and parses the trace file at `path`: what parsing the whole of
/// [`read_text`] gives, errors included (a read error before a parse
/// error). An SWF file is parsed as it is read: one thread reads (and
/// decompresses) pieces of the text while this one parses the whole
/// lines of the pieces before.
pub(super) fn parse_file(path: &Path, format: TraceFormat) -> Result<Parsed, FileError> {
    let shown = path.display().to_string();
    if format != TraceFormat::Swf {
        let text = read_text(path, MAX_TRACE_TEXT)?;
        return parse_text(&shown, &text, format);
    }
    let max = MAX_TRACE_TEXT;
    let TextSource {
        reader,
        gzip,
        size_hint,
        errors,
    } = TextSource::open(path, max)?;
    // Pieces in flight: enough to keep both threads busy, little memory.
    const PIECE_BYTES: u64 = 1 << 19;
    let (pieces, received) = std::sync::mpsc::sync_channel::<Vec<u8>>(8);
    let errors = &errors;
    let read = move || -> Result<(), FileError> {
        let mut reader = reader.take(max.as_u64().saturating_add(1));
        let mut total = 0u64;
        loop {
            let mut piece = Vec::with_capacity(PIECE_BYTES as usize);
            let n = (&mut reader)
                .take(PIECE_BYTES)
                .read_to_end(&mut piece)
                .map_err(|e| errors.read(gzip, e))?;
            if n == 0 {
                return Ok(());
            }
            total += n as u64;
            if total > max.as_u64() {
                return Err(errors.too_large(gzip, max));
            }
            if pieces.send(piece).is_err() {
                return Ok(()); // the parser has stopped
            }
        }
    };
    std::thread::scope(|scope| {
        let reading = std::thread::Builder::new()
            .name("trace-read".into())
            .spawn_scoped(scope, read);
        let reading = match reading {
            Ok(handle) => handle,
            // No thread to be had: read it all, then parse it.
            Err(_) => {
                let text = read_text(path, max)?;
                return parse_text(&shown, &text, format);
            }
        };
        // A data line of the archive's logs is some 90 bytes long.
        let mut parser = swf::Parser::with_capacity((size_hint / 80) as usize);
        let mut parsed = Ok(());
        let mut carry: Vec<u8> = Vec::new();
        let mut first = true;
        let mut parse = |bytes: &[u8], parsed: &mut Result<(), FileError>| {
            if parsed.is_err() || bytes.is_empty() {
                return;
            }
            // Valid UTF-8 (nearly always) is checked fast, without a copy.
            let text = match std::str::from_utf8(bytes) {
                Ok(text) => std::borrow::Cow::Borrowed(text),
                Err(_) => String::from_utf8_lossy(bytes),
            };
            let text = if std::mem::take(&mut first) {
                without_bom(&text)
            } else {
                &text
            };
            *parsed = parser.lines(&shown, text);
        };
        for piece in received {
            if parsed.is_err() {
                continue; // read on: a read error comes first
            }
            // Whole lines only: a line cut by the piece's end waits for
            // the next piece. Splitting at line feeds splits no UTF-8
            // character, so each piece converts as the whole text would.
            match piece.iter().rposition(|&b| b == b'\n') {
                None => carry.extend_from_slice(&piece),
                Some(end) if carry.is_empty() => {
                    parse(&piece[..=end], &mut parsed);
                    carry.extend_from_slice(&piece[end + 1..]);
                }
                Some(end) => {
                    // The cut line, completed; then the piece's own lines,
                    // without copying them.
                    let first_end = piece.iter().position(|&b| b == b'\n').unwrap_or(end);
                    carry.extend_from_slice(&piece[..=first_end]);
                    parse(&carry, &mut parsed);
                    carry.clear();
                    parse(&piece[first_end + 1..=end], &mut parsed);
                    carry.extend_from_slice(&piece[end + 1..]);
                }
            }
        }
        let read = match reading.join() {
            Ok(read) => read,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        read?;
        parse(&carry, &mut parsed);
        parsed?;
        Ok(parser.finish())
    })
}
