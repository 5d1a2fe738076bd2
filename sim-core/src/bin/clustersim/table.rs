//! Column tables in the CLI's text output (`catalog`, `compare`): the one
//! place that aligns columns.
//!
//! A [`Table`] is a header row and rows of cells, each cell printed
//! through `escape_control` (a name in a cell can come from a `--set`
//! argument). Each column is padded to
//! its widest cell, header included, counting chars (not bytes, so `×`
//! or `—` take one place), and aligned left or right; columns are joined
//! by two spaces and each line loses its trailing spaces.
//!
//! Not every aligned line is a table: `collective` copies nccl-tests'
//! fixed layout column for column (so its output reads and diffs like the
//! real `all_reduce_perf`), and `run`'s report pads fields inside its
//! sentences to fixed widths; neither goes through this module.

use std::io::{self, Write};

use sim_core::text::escape_control;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

pub struct Table {
    align: Vec<Align>,
    /// The header first; every row has one cell per column.
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these columns: each one's header and alignment.
    pub fn new(columns: &[(&str, Align)]) -> Table {
        Table {
            align: columns.iter().map(|&(_, align)| align).collect(),
            rows: vec![columns.iter().map(|&(name, _)| name.to_string()).collect()],
        }
    }

    /// Adds a row; it must have one cell per column.
    pub fn row(&mut self, cells: impl IntoIterator<Item = String>) {
        let cells: Vec<String> = (cells.into_iter())
            .map(|cell| escape_control(&cell).into_owned())
            .collect();
        assert_eq!(cells.len(), self.align.len(), "one cell per column");
        self.rows.push(cells);
    }

    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let widths: Vec<usize> = (0..self.align.len())
            .map(|c| {
                let cells = self.rows.iter().map(|row| row[c].chars().count());
                cells.max().unwrap_or(0)
            })
            .collect();
        for row in &self.rows {
            let cells: Vec<String> = (row.iter().zip(&self.align).zip(&widths))
                .map(|((cell, align), &w)| match align {
                    Align::Left => format!("{cell:<w$}"),
                    Align::Right => format!("{cell:>w$}"),
                })
                .collect();
            writeln!(out, "{}", cells.join("  ").trim_end())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(table: &Table) -> String {
        let mut out = Vec::new();
        table.write(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn cells_are_escaped_and_aligned_by_chars_with_two_space_gaps_and_no_trailing_spaces() {
        let mut t = Table::new(&[
            ("name", Align::Left),
            ("n", Align::Right),
            ("note", Align::Left),
        ]);
        t.row(["a".into(), "12345".into(), String::new()]);
        t.row(["2 × ä".into(), "7".into(), "ok".into()]);
        t.row(["\u{1b}]0;".into(), "0".into(), "\r".into()]);
        assert_eq!(
            text(&t),
            "name           n  note\n\
             a          12345\n\
             2 × ä          7  ok\n\
             \\u{1b}]0;      0  \\u{d}\n"
        );
    }

    #[test]
    #[should_panic(expected = "one cell per column")]
    fn a_row_of_the_wrong_length_is_a_bug() {
        Table::new(&[("a", Align::Left)]).row([String::new(), String::new()]);
    }
}
