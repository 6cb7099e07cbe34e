//! The deploy engine (feature `deploy`): deploy, diff, destroy and bootstrap an assembly
//! against CloudFormation, as a library.
//!
//! ```text
//! Engine::new(clients, options, &mut observer)
//!   .deploy(&assembly, &["prod/*".into()])     -> Vec<StackReport>
//!   .diff(&assembly, &[])                      -> Vec<StackDiff>
//!   .destroy(&assembly, &["api".into()])       -> Vec<StackReport>
//!   .bootstrap()                               -> StackReport
//! ```
//!
//! The input is a [`CloudAssembly`](crate::assembly::CloudAssembly): read from an `out/`
//! directory (the standalone `stackforge` CLI) or taken straight from a synth (a program's
//! own `deploy` command). The output is a typed stream of [`Event`]s to an [`Observer`],
//! and questions ([`Question`]) when a change needs approval. The engine knows nothing of
//! terminals, flags or exit codes: `stackforge::cli` is one adapter over it.
//!
//! One file per concern, in the manner of cargo's `ops/` and kube-runtime:
//!
//! | file | concern |
//! |---|---|
//! | `transport` | clients, every API call with throttling back-off, the error classifier (`classify`) |
//! | `status` | typed stack statuses: done, failed, in progress, how to recover |
//! | `monitor` | stack events, waiting for a terminal status, Ctrl-C |
//! | `recover` | stacks left in ROLLBACK_COMPLETE, REVIEW_IN_PROGRESS, UPDATE_ROLLBACK_FAILED |
//! | `preflight` | identity, pinned account and region, dependencies, image requirements, exports still imported |
//! | `review` | typed resource changes, broadening and destructive changes, approval |
//! | `apply`, `changeset`, `direct` | one stack, through a change set or CreateStack/UpdateStack |
//! | `settings` | termination protection, stack policy, notification ARNs, tags |
//! | `destroy` | deletes, after checking what would block it |
//! | `report` | outputs and `outputs.json` |
//! | `assets`, `bootstrap` | the staging bucket and repository, asset and large-template uploads |
//!
//! Credentials and region come from the standard AWS chain; see [`Connection`].
//!
//! Scale and environments: each stack goes through [`Engine::deploy`]'s loop with the
//! engine's one set of [`Clients`]. Per-environment accounts, regions and roles plug in as one
//! `Clients` per environment (see [`connect`]); deploying independent stacks concurrently
//! replaces the loop with a walk over the manifest's dependency graph.

pub mod analysis;
mod apply;
mod assets;
mod bootstrap;
mod changeset;
pub mod classify;
mod destroy;
mod direct;
mod error;
mod event;
mod inspect;
mod monitor;
pub mod options;
mod preflight;
mod recover;
mod report;
mod review;
mod settings;
pub mod status;
mod transport;

pub use assets::staging_bucket;
pub use bootstrap::{bootstrap_app, BOOTSTRAP_STACK, STAGING_REPOSITORY};
pub use classify::{classify, ErrorKind};
pub use error::{codes, ApiError, Blocker, DeployError};
pub use event::{
    Event, Identity, Observer, Operation, Outcome, Question, Recorder, Replacement, ResourceChange,
    Review, StackReport,
};
pub use options::{Approval, Method, Options};
pub use review::{approval_reason, assess};
pub use transport::{connect, Clients, Connection};

/// The engine: one set of clients, the options, and the observer.
pub struct Engine<'o> {
    clients: Clients,
    options: Options,
    observer: &'o mut dyn Observer,
    /// Every stack of the assembly, for the ListImports fallback.
    app_stacks: Vec<String>,
}

impl<'o> Engine<'o> {
    /// An engine over these clients.
    pub fn new(clients: Clients, options: Options, observer: &'o mut dyn Observer) -> Self {
        Engine {
            clients,
            options,
            observer,
            app_stacks: Vec::new(),
        }
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    fn emit(&mut self, event: Event) {
        self.observer.event(&event);
    }

    fn note(&mut self, stack: Option<&str>, message: impl Into<String>) {
        self.emit(Event::Note {
            stack: stack.map(str::to_owned),
            message: message.into(),
        });
    }
}

#[cfg(test)]
mod tests {
    /// No file of the engine has more than 500 lines outside its tests.
    #[test]
    fn no_engine_file_is_over_500_lines_of_code() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/deploy");
        let mut sizes = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("src/deploy") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("readable");
            let code = text.split("\n#[cfg(test)]").next().unwrap_or("");
            let lines = code.lines().filter(|l| !l.trim().is_empty()).count();
            sizes.push((
                path.file_name().map(|n| n.to_string_lossy().into_owned()),
                lines,
            ));
        }
        assert!(sizes.len() >= 10, "{sizes:?}");
        let over: Vec<_> = sizes.iter().filter(|(_, n)| *n > 500).collect();
        assert!(over.is_empty(), "over 500 non-test lines: {over:?}");
    }

    /// The engine does not reach back into the CLI (`scripts/test` checks the same with grep).
    #[test]
    fn the_engine_does_not_import_the_cli() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/deploy");
        for entry in std::fs::read_dir(&dir).expect("src/deploy") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("readable");
            let needles = [
                ["crate", "::cli"].concat(),
                ["stackforge", "::cli"].concat(),
            ];
            // Code lines only: the docs may name the CLI.
            let mut code = text.lines().filter(|l| !l.trim_start().starts_with("//"));
            assert!(
                !code.any(|l| needles.iter().any(|n| l.contains(n.as_str()))),
                "{} imports the CLI",
                path.display()
            );
        }
    }
}
