//! Reading a spool segment back: complete lines only, and only those the
//! appender acknowledged.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom};
use std::path::PathBuf;

use super::spool::{self, Shared};

/// What a segment holds next for the output.
pub(super) enum Next<'l> {
    /// An acknowledged line and its seq.
    Line(u64, &'l [u8]),
    /// A line whose append is not yet answered: it may still fail and be
    /// cut off again, so it waits until the appender has written past it.
    Unacknowledged,
    /// No complete line for now.
    End,
}

/// Reads one segment's lines, keeping a partial last line until it is
/// complete.
pub(super) struct SegmentReader {
    pub first: u64,
    pub path: PathBuf,
    input: BufReader<File>,
    line: Vec<u8>,
    /// `line` was returned and must be cleared before reading on.
    returned: bool,
    /// `line` is complete and not yet returned.
    ready: bool,
    /// Where in the file `line` ends (what was read of it so far).
    consumed: u64,
    /// The file's length, taken once per round of reading.
    length: Option<u64>,
}

impl SegmentReader {
    /// The segment that holds `seq`; older segments, all delivered, are
    /// removed.
    pub fn find(shared: &Shared, seq: u64) -> io::Result<Option<SegmentReader>> {
        let segments = spool::segments(&shared.dir)?;
        let at = segments
            .iter()
            .rposition(|(first, _)| *first <= seq)
            .unwrap_or(0);
        let Some((first, path)) = segments.get(at).cloned() else {
            return Ok(None);
        };
        for (_, old) in &segments[..at] {
            spool::remove_segment(shared, old);
        }
        SegmentReader::open(first, path).map(Some)
    }

    fn open(first: u64, path: PathBuf) -> io::Result<SegmentReader> {
        Ok(SegmentReader {
            first,
            input: BufReader::with_capacity(1 << 20, File::open(&path)?),
            path,
            line: Vec::new(),
            returned: false,
            ready: false,
            consumed: 0,
            length: None,
        })
    }

    /// Starts a round of reading: the file's length is taken again when it
    /// is next needed. Call it after reading how far the appender has
    /// written, so that the length covers every line acknowledged by then.
    pub fn forget_length(&mut self) {
        self.length = None;
    }

    /// The next line, if the appender has acknowledged it (its seq is at
    /// most `written`).
    ///
    /// A failed append is cut off from the segment again, and the appender
    /// goes on in a new one; but this reader may hold the cut-off lines
    /// already, read ahead before the cut. Those lines end beyond the
    /// file's length, and they were refused, so they are passed over.
    pub fn next_acknowledged(&mut self, written: u64) -> io::Result<Next<'_>> {
        let Some(line) = self.next_line()? else {
            return Ok(Next::End);
        };
        let Some(seq) = spool::seq_of(line) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: a line without its seq", self.path.display()),
            ));
        };
        if seq > written {
            self.returned = false;
            self.ready = true;
            return Ok(Next::Unacknowledged);
        }
        let length = match self.length {
            Some(length) => length,
            None => *self.length.insert(self.input.get_ref().metadata()?.len()),
        };
        if self.consumed > length {
            // Nothing is appended to this segment after a cut: what the
            // reader holds beyond its end is dropped with the line.
            self.line.clear();
            self.returned = false;
            self.consumed = self.input.seek(SeekFrom::Start(length))?;
            return Ok(Next::End);
        }
        Ok(Next::Line(seq, &self.line))
    }

    fn read_line(&mut self) -> io::Result<()> {
        let read = self.input.read_until(b'\n', &mut self.line)?;
        self.consumed = self.consumed.saturating_add(read as u64);
        Ok(())
    }

    fn next_line(&mut self) -> io::Result<Option<&[u8]>> {
        if self.returned {
            self.line.clear();
            self.returned = false;
        }
        if !self.ready {
            self.read_line()?;
        }
        self.ready = false;
        if self.line.last() == Some(&b'\n') {
            self.returned = true;
            Ok(Some(&self.line))
        } else {
            Ok(None)
        }
    }

    /// Whether the segment has no line left, looking once more: a newer
    /// segment exists, so nothing more is appended to this one. A partial
    /// line that stays partial is the remains of a failed write, which was
    /// never acknowledged, and is dropped.
    pub fn drained(&mut self) -> io::Result<bool> {
        self.read_line()?;
        if self.line.last() == Some(&b'\n') {
            self.ready = true;
            return Ok(false);
        }
        self.line.clear();
        Ok(true)
    }

    pub fn remove(&self, shared: &Shared) {
        spool::remove_segment(shared, &self.path);
    }
}

#[cfg(test)]
mod tests {
    use std::fs::{self, OpenOptions};
    use std::io::Write as _;

    use super::*;

    fn lines(numbers: std::ops::RangeInclusive<u64>) -> String {
        numbers
            .map(|n| format!("{{\"seq\":{n},\"n\":{n}}}\n"))
            .collect()
    }

    fn seq(next: Next<'_>) -> Option<u64> {
        match next {
            Next::Line(seq, _) => Some(seq),
            Next::Unacknowledged | Next::End => None,
        }
    }

    /// Lines of an append not yet answered wait; when that append failed
    /// and was cut off again, the lines the reader had read ahead are not
    /// handed out, even once later appends (in a newer segment) are
    /// acknowledged past their numbers.
    #[test]
    fn lines_of_a_failed_append_are_never_handed_out() {
        let dir = crate::receive::scratch("reader");
        let path = dir.join("1.spool");
        fs::write(&path, lines(1..=3)).expect("segment");
        let mut reader = SegmentReader::open(1, path.clone()).expect("open");
        for n in 1..=3 {
            assert_eq!(seq(reader.next_acknowledged(3).expect("read")), Some(n));
        }
        // An append of 4 and 5 is under way: the reader sees them, but they
        // are not acknowledged yet.
        let mut file = OpenOptions::new().append(true).open(&path).expect("file");
        file.write_all(lines(4..=5).as_bytes()).expect("append");
        reader.forget_length();
        assert!(matches!(
            reader.next_acknowledged(3).expect("read"),
            Next::Unacknowledged
        ));
        // The append fails and is cut off; 6 to 9 go to a newer segment.
        file.set_len(lines(1..=3).len() as u64).expect("cut");
        reader.forget_length();
        assert!(matches!(
            reader.next_acknowledged(9).expect("read"),
            Next::End
        ));
        assert!(matches!(
            reader.next_acknowledged(9).expect("read"),
            Next::End
        ));
        assert!(reader.drained().expect("drained"));

        // Acknowledged lines are handed out as they come.
        fs::write(&path, lines(1..=2)).expect("segment");
        let mut reader = SegmentReader::open(1, path.clone()).expect("open");
        reader.forget_length();
        assert_eq!(seq(reader.next_acknowledged(2).expect("read")), Some(1));
        let mut file = OpenOptions::new().append(true).open(&path).expect("file");
        file.write_all(lines(3..=3).as_bytes()).expect("append");
        assert_eq!(seq(reader.next_acknowledged(2).expect("read")), Some(2));
        assert!(matches!(
            reader.next_acknowledged(2).expect("read"),
            Next::Unacknowledged
        ));
        reader.forget_length();
        assert_eq!(seq(reader.next_acknowledged(3).expect("read")), Some(3));
        let _ = fs::remove_dir_all(&dir);
    }
}
