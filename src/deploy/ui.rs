//! Where deploy talks to people: plain lines into the injected writer, or indicatif
//! progress on a terminal, and confirmation prompts.

use std::io::Write;

use indicatif::{ProgressBar, ProgressStyle};

/// A yes/no question asked on a terminal.
pub type Confirm<'a> = Box<dyn FnMut(&str) -> bool + 'a>;

/// Output and prompts for one command.
pub struct Ui<'a> {
    out: &'a mut dyn Write,
    confirm: Option<Confirm<'a>>,
    bar: Option<ProgressBar>,
    terminal: bool,
}

impl<'a> Ui<'a> {
    /// Plain lines into `out`; no prompts (everything that needs approval is refused
    /// unless `--yes`).
    pub fn plain(out: &'a mut dyn Write) -> Self {
        Ui {
            out,
            confirm: None,
            bar: None,
            terminal: false,
        }
    }

    /// With a prompt: `confirm` asks a question and returns the answer.
    pub fn with_confirm(mut self, confirm: Confirm<'a>) -> Self {
        self.confirm = Some(confirm);
        self
    }

    /// Shows an indicatif spinner on stderr for the stack being waited on.
    pub fn with_progress(mut self) -> Self {
        self.terminal = true;
        self
    }

    /// Prints a line (above the spinner, if any).
    pub fn line(&mut self, s: &str) {
        match &self.bar {
            Some(b) => b.println(s),
            None => {
                let _ = writeln!(self.out, "{s}");
            }
        }
    }

    /// Prints text as is.
    pub fn text(&mut self, s: &str) {
        match &self.bar {
            Some(b) => b.println(s.trim_end_matches('\n')),
            None => {
                let _ = write!(self.out, "{s}");
            }
        }
    }

    /// Updates the spinner (terminal only; plain output gets the events as lines instead).
    pub fn progress(&mut self, msg: &str) {
        if !self.terminal {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let b = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
                b.set_style(style);
            }
            b.enable_steady_tick(std::time::Duration::from_millis(120));
            b
        });
        bar.set_message(msg.to_owned());
    }

    /// Removes the spinner.
    pub fn finish_progress(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }

    /// Asks; `None` when there is nobody to ask.
    pub fn confirm(&mut self, question: &str) -> Option<bool> {
        let bar = self.bar.take();
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        let _ = self.out.flush();
        let answer = self.confirm.as_mut().map(|c| c(question));
        answer
    }
}
