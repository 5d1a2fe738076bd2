//! `clustersim generate`: shell completions and the man page, generated
//! from the clap definitions in `main.rs` (ripgrep's `--generate` values),
//! so they always match the arguments the binary takes.
//!
//! The man page is one page, `clustersim(1)`: the top-level synopsis and
//! options, then a COMMANDS section with each subcommand's synopsis,
//! description and options, then the examples and the version. It is
//! deterministic (no date), so packagers get the same bytes every build.

use std::io::{self, Write};

use clap::{CommandFactory, ValueEnum};
use clap_complete::Shell;
use clap_mangen::Man;

use super::{Cli, Failure};

/// What to generate.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Generated {
    CompleteBash,
    CompleteZsh,
    CompleteFish,
    CompletePowershell,
    CompleteElvish,
    /// The man page, in roff.
    Man,
}

pub fn write(kind: Generated, out: &mut dyn Write) -> Result<(), Failure> {
    let shell = match kind {
        Generated::CompleteBash => Shell::Bash,
        Generated::CompleteZsh => Shell::Zsh,
        Generated::CompleteFish => Shell::Fish,
        Generated::CompletePowershell => Shell::PowerShell,
        Generated::CompleteElvish => Shell::Elvish,
        Generated::Man => return write_man(out).map_err(Failure::stdout),
    };
    // clap_complete panics when a write fails; writing to memory first
    // keeps a closed stdout an ordinary io error.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "clustersim", &mut script);
    out.write_all(&script).map_err(Failure::stdout)
}

/// One way to render a part of a man page.
type Section = fn(&Man, &mut dyn Write) -> io::Result<()>;

fn write_man(out: &mut dyn Write) -> io::Result<()> {
    let mut cli = Cli::command();
    cli.build(); // names each subcommand `clustersim NAME` in its synopsis
    let man = Man::new(cli.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    let top: [(&str, Section); 4] = [
        ("NAME", Man::render_name_section),
        ("SYNOPSIS", Man::render_synopsis_section),
        ("DESCRIPTION", Man::render_description_section),
        ("OPTIONS", Man::render_options_section),
    ];
    for (heading, section) in top {
        writeln!(page, ".SH {heading}")?;
        write_body(&mut page, &man, section)?;
    }
    writeln!(page, ".SH COMMANDS")?;
    for command in cli.get_subcommands().filter(|c| !c.is_hide_set()) {
        let name = command.get_bin_name().unwrap_or(command.get_name());
        writeln!(page, ".SS \"{name}\"")?;
        let man = Man::new(command.clone());
        write_body(&mut page, &man, Man::render_synopsis_section)?;
        writeln!(page, ".PP")?;
        write_body(&mut page, &man, Man::render_description_section)?;
        write_body(&mut page, &man, Man::render_options_section)?;
    }
    writeln!(page, ".SH EXAMPLES")?;
    writeln!(page, ".nf")?; // one command a line, as typed
    write_body(&mut page, &man, Man::render_extra_section)?;
    writeln!(page, ".fi")?;
    writeln!(page, ".SH VERSION")?;
    write_body(&mut page, &man, Man::render_version_section)?;
    out.write_all(&page)
}

/// A section's roff without its `.SH` heading (the caller writes one, or
/// nests the section under a command's `.SS`), without the preamble that
/// every render repeats (the title's copy defines it once for the page),
/// and without the after-help's own "Examples:" line (EXAMPLES says it).
fn write_body(page: &mut Vec<u8>, man: &Man, section: Section) -> io::Result<()> {
    let mut roff = Vec::new();
    section(man, &mut roff)?;
    let text = String::from_utf8_lossy(&roff);
    for line in text.lines() {
        let heading = line.starts_with(".SH ");
        let preamble = line.starts_with(".ie \\n(.g ") || line.starts_with(".el .ds Aq");
        if !(heading || preamble || line == "Examples:") {
            writeln!(page, "{line}")?;
        }
    }
    Ok(())
}
