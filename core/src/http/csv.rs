//! CSV for exports (the audit-log export answers `text/csv`): RFC 4180, every field quoted,
//! CRLF line ends, and formula-injection-safe: a cell a spreadsheet would read as a formula
//! (first visible character `=`, `+`, `-` or `@`, or a leading tab, CR or LF) is prefixed with
//! `'`, so it opens as text (OWASP's "CSV injection" advice).

/// A CSV document being written: a header row, then rows of as many cells.
#[derive(Debug)]
pub struct Csv {
    out: String,
    columns: usize,
}

impl Csv {
    pub const CONTENT_TYPE: &'static str = "text/csv; charset=utf-8";

    pub fn with_header(columns: &[&str]) -> Self {
        let mut csv = Self {
            out: String::new(),
            columns: columns.len(),
        };
        csv.push(columns);
        csv
    }

    /// Appends a row; a missing cell is written empty and an extra one is dropped, so every row
    /// has the header's width.
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) {
        let cells: Vec<&str> = (0..self.columns)
            .map(|i| cells.get(i).map_or("", AsRef::as_ref))
            .collect();
        self.push(&cells);
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    pub fn finish(self) -> String {
        self.out
    }

    fn push(&mut self, cells: &[&str]) {
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            write_cell(&mut self.out, cell);
        }
        self.out.push_str("\r\n");
    }
}

/// Whether a spreadsheet could take `cell` for a formula (or a DDE call).
pub fn could_start_a_formula(cell: &str) -> bool {
    if cell.starts_with(['\t', '\r', '\n']) {
        return true;
    }
    let visible = cell.trim_start_matches(|c: char| c.is_whitespace() || c.is_control());
    // Full-width forms are folded by some spreadsheets, so they count too.
    visible.starts_with([
        '=', '+', '-', '@', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
    ])
}

fn write_cell(out: &mut String, cell: &str) {
    out.push('"');
    if could_start_a_formula(cell) {
        out.push('\'');
    }
    for c in cell.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(cell: &str) -> String {
        let mut csv = Csv::with_header(&["a"]);
        csv.row(&[cell]);
        csv.finish()
    }

    #[test]
    fn fields_are_quoted_and_quotes_doubled_with_crlf_rows() {
        let mut csv = Csv::with_header(&["id", "note"]);
        csv.row(&["1", "say \"hi\", then\r\nleave"]);
        csv.row(&["2"]);
        csv.row(&["3", "x", "dropped"]);
        assert_eq!(
            csv.finish(),
            "\"id\",\"note\"\r\n\"1\",\"say \"\"hi\"\", then\r\nleave\"\r\n\"2\",\"\"\r\n\"3\",\"x\"\r\n"
        );
    }

    #[test]
    fn formula_starts_open_as_text() {
        for hostile in [
            "=HYPERLINK(\"http://x\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "  =1",
            "\u{FF1D}1+1",
        ] {
            let written = one(hostile);
            let cell = written.split("\r\n").nth(1).unwrap();
            assert!(cell.starts_with("\"'"), "{hostile:?} → {cell:?}");
        }
        assert_eq!(one("user.registered"), "\"a\"\r\n\"user.registered\"\r\n");
        assert_eq!(one("a=b"), "\"a\"\r\n\"a=b\"\r\n");
    }
}
