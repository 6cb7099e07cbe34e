//! `stackforge init <name>`: a new infrastructure crate from the handlebars templates in
//! `cli/templates/init/`: `Cargo.toml` with the dependencies, `src/main.rs` with one stack
//! (a network and a load-balanced Fargate service, optionally a database and a cache), a
//! snapshot test and an assertion test (`src/tests.rs`, with the snapshot already recorded
//! so the first `cargo test` passes), a README with the two commands, a `.gitignore` and a
//! GitHub Actions workflow.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use handlebars::Handlebars;
use serde::Serialize;
use stackforge::cli::NoOptions;
use stackforge::{App, Output};
use stackforge_modules::fargate::{Cluster, LoadBalancedFargateService, ServiceProps};
use stackforge_modules::network::{Network, NetworkProps};
use stackforge_modules::postgres::{PostgresDatabase, PostgresProps};
use stackforge_modules::redis_cache::{RedisCache, RedisCacheProps};

/// `stackforge init <NAME>`.
#[derive(clap::Args, Debug, Clone)]
pub struct InitArgs {
    /// The crate's name (lower case, digits and hyphens); also its directory and stack name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Add a PostgreSQL database the service may reach.
    #[arg(long)]
    pub with_database: bool,
    /// Add a Redis cache the service may reach.
    #[arg(long)]
    pub with_cache: bool,
    /// Create the crate here instead of `./<NAME>`.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Start from one of stackforge's examples instead (its source becomes `src/example.rs`).
    #[arg(
        long,
        value_name = "EXAMPLE",
        value_parser = ["fargate-app", "ec2-fleet", "chatbot", "hello-redis", "falafel-api"],
        conflicts_with_all = ["with_database", "with_cache"]
    )]
    pub example: Option<String>,
    /// Depend on a stackforge checkout at this path instead of the crates.io release.
    #[arg(long, value_name = "CHECKOUT")]
    pub stackforge_path: Option<PathBuf>,
}

const TEMPLATES: &[(&str, &str)] = &[
    (
        "Cargo.toml",
        include_str!("../../templates/init/Cargo.toml.hbs"),
    ),
    (
        "src/main.rs",
        include_str!("../../templates/init/main.rs.hbs"),
    ),
    (
        "src/tests.rs",
        include_str!("../../templates/init/tests.rs.hbs"),
    ),
    (
        "README.md",
        include_str!("../../templates/init/README.md.hbs"),
    ),
    (
        ".gitignore",
        include_str!("../../templates/init/gitignore.hbs"),
    ),
    (
        ".github/workflows/ci.yml",
        include_str!("../../templates/init/ci.yml.hbs"),
    ),
];

/// The examples `--example` starts from: the builder's source and each stack's snapshot, as
/// in the repository (a test keeps these copies identical to `examples/apps/src/` and
/// `snapshots/`).
struct Example {
    name: &'static str,
    source: &'static str,
    stacks: &'static [(&'static str, &'static str)],
}

macro_rules! ex {
    ($f:literal) => {
        include_str!(concat!("../../templates/init/examples/", $f))
    };
}

const EXAMPLES: &[Example] = &[
    Example {
        name: "fargate-app",
        source: ex!("fargate_app.rs"),
        stacks: &[("fargate-app", ex!("examples__fargate-app-fargate-app.snap"))],
    },
    Example {
        name: "ec2-fleet",
        source: ex!("ec2_fleet.rs"),
        stacks: &[("ec2-fleet", ex!("examples__ec2-fleet-ec2-fleet.snap"))],
    },
    Example {
        name: "chatbot",
        source: ex!("chatbot.rs"),
        stacks: &[
            (
                "chatbot-registry",
                ex!("examples__chatbot-chatbot-registry.snap"),
            ),
            ("chatbot", ex!("examples__chatbot-chatbot.snap")),
        ],
    },
    Example {
        name: "hello-redis",
        source: ex!("hello_redis.rs"),
        stacks: &[
            (
                "hello-redis-registry",
                ex!("examples__hello-redis-hello-redis-registry.snap"),
            ),
            ("hello-redis", ex!("examples__hello-redis-hello-redis.snap")),
        ],
    },
    Example {
        name: "falafel-api",
        source: ex!("falafel_api.rs"),
        stacks: &[
            ("registry", ex!("examples__falafel-api-registry.snap")),
            ("app", ex!("examples__falafel-api-app.snap")),
        ],
    },
];

/// The examples' shared helpers (`registry_stack`), from their library's root.
const EXAMPLES_LIB: &str = ex!("lib.rs");

/// A snapshot's contents (after the `---` header).
fn snapshot_body(snap: &str) -> &str {
    snap.strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map_or(snap, |(_, body)| body)
}

fn snapshot_file(body: &str) -> String {
    format!(
        "---\nsource: src/tests.rs\nexpression: stack.template\n---\n{}\n",
        body.trim_end()
    )
}

/// `use stackforge::clap;` after the module's doc comment: the example derives
/// `clap::Args`, and the new crate reaches clap through stackforge.
fn example_module(source: &str) -> String {
    let mut out = String::new();
    let mut inserted = false;
    for line in source.lines() {
        if !inserted && !line.starts_with("//!") {
            out.push_str("\nuse stackforge::clap;\n");
            inserted = true;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The examples' helpers without their module list.
fn support_module() -> String {
    let mut out = String::from(
        "//! Helpers the example shares with stackforge's other examples.\n#![allow(dead_code)]\n",
    );
    for line in EXAMPLES_LIB.lines() {
        if line.starts_with("//!") || line.starts_with("pub mod ") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

const MAIN_EXAMPLE: &str = include_str!("../../templates/init/main-example.rs.hbs");
const TESTS_EXAMPLE: &str = include_str!("../../templates/init/tests-example.rs.hbs");

#[derive(Serialize)]
struct Data<'a> {
    name: &'a str,
    stack: &'a str,
    database: bool,
    cache: bool,
    stackforge: String,
    modules: String,
    example: &'a str,
    stacks: Vec<&'a str>,
}

/// The app the generated `src/main.rs` builds, built here too so that `init` can record its
/// snapshot: the first `cargo test` then passes, and any drift between this function and the
/// template fails it (the init test runs that `cargo test`).
pub fn app(stack: &str, database: bool, cache: bool) -> App {
    let _ = NoOptions::default();
    let app = App::new();
    let mut s = app.stack(stack);
    s.set_description(format!(
        "{stack}: a load-balanced Fargate service (stackforge init)"
    ));
    let net = Network::new(&mut s, "Net", NetworkProps::default());
    let cluster = Cluster::new(&mut s, "Cluster");
    let db = database.then(|| PostgresDatabase::new(&mut s, "Db", &net, PostgresProps::default()));
    let redis = cache.then(|| RedisCache::new(&mut s, "Cache", &net, RedisCacheProps::default()));
    let mut environment = Vec::new();
    let mut secrets = Vec::new();
    if let Some(db) = &db {
        environment.push(("DB_HOST".into(), db.endpoint_address()));
        environment.push(("DB_PORT".into(), db.endpoint_port()));
        secrets.push(("DB_USER".into(), db.username()));
        secrets.push(("DB_PASSWORD".into(), db.password()));
    }
    if let Some(c) = &redis {
        environment.push(("REDIS_HOST".into(), c.endpoint_address()));
        environment.push(("REDIS_PORT".into(), c.endpoint_port()));
        secrets.push(("REDIS_AUTH_TOKEN".into(), c.auth_token_secret().whole()));
    }
    let web = LoadBalancedFargateService::new(
        &mut s,
        "Web",
        &net,
        &cluster,
        ServiceProps {
            image: "public.ecr.aws/nginx/nginx:stable".into(),
            container_port: 80,
            health_check_path: "/".into(),
            environment,
            secrets,
            ..Default::default()
        },
    );
    if let Some(db) = &db {
        db.allow_from(&mut s, &web);
    }
    if let Some(c) = &redis {
        c.allow_from(&mut s, &web);
    }
    s.output(
        "ServiceUrl",
        Output::new(web.url()).description("The service, behind the load balancer"),
    );
    app
}

/// Checks a crate name: lower-case letters, digits and hyphens, starting with a letter, at
/// most 64 characters (a CloudFormation stack name too).
fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-');
    if !ok {
        bail!(
            "`{name}` cannot name the crate and its stack: use lower-case letters, digits and \
             hyphens, starting with a letter (at most 64), e.g. `my-infra`"
        );
    }
    Ok(())
}

fn dependency(path: Option<&Path>, sub: &str, version: &str) -> anyhow::Result<String> {
    Ok(match path {
        Some(p) => {
            let p = std::path::absolute(p)
                .with_context(|| format!("cannot resolve {}", p.display()))?
                .join(sub);
            // TOML basic string: escape backslashes and quotes.
            let s = p
                .display()
                .to_string()
                .replace('\\', "\\\\")
                .replace('"', "\\\"");
            format!("path = \"{s}\"")
        }
        None => format!("version = \"{version}\""),
    })
}

/// Writes the crate; returns its directory. Refuses a directory that exists and is not
/// empty, and leaves nothing behind when a step fails.
pub fn run(args: &InitArgs) -> anyhow::Result<PathBuf> {
    check_name(&args.name)?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    if dir.exists()
        && std::fs::read_dir(&dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!(
            "{} exists and is not empty: choose another name or --dir",
            dir.display()
        );
    }
    let version = env!("CARGO_PKG_VERSION");
    let data = Data {
        name: &args.name,
        stack: &args.name,
        database: args.with_database,
        cache: args.with_cache,
        stackforge: dependency(args.stackforge_path.as_deref(), "", version)?,
        modules: dependency(args.stackforge_path.as_deref(), "modules", version)?,
        example: args.example.as_deref().unwrap_or(""),
        stacks: Vec::new(),
    };
    let example = match &args.example {
        Some(name) => Some(
            EXAMPLES
                .iter()
                .find(|e| e.name == name)
                .ok_or_else(|| anyhow::anyhow!("there is no example `{name}`"))?,
        ),
        None => None,
    };
    let data = Data {
        stacks: example
            .map(|e| e.stacks.iter().map(|(s, _)| *s).collect())
            .unwrap_or_default(),
        ..data
    };
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    // Rust, TOML, YAML and Markdown: nothing is HTML-escaped.
    hb.register_escape_fn(handlebars::no_escape);
    let mut files = Vec::new();
    for (path, template) in TEMPLATES {
        let template = match (example, *path) {
            (Some(_), "src/main.rs") => MAIN_EXAMPLE,
            (Some(_), "src/tests.rs") => TESTS_EXAMPLE,
            _ => template,
        };
        let text = hb
            .render_template(template, &data)
            .with_context(|| format!("rendering {path}"))?;
        files.push((path.to_string(), text));
    }
    match example {
        Some(e) => {
            files.push(("src/example.rs".into(), example_module(e.source)));
            files.push(("src/support.rs".into(), support_module()));
            for (stack, snap) in e.stacks {
                files.push((
                    format!("snapshots/{stack}.snap"),
                    snapshot_file(snapshot_body(snap)),
                ));
            }
        }
        None => {
            let assembly = app(&args.name, args.with_database, args.with_cache)
                .synth()
                .map_err(|e| anyhow::anyhow!("the new crate's stack does not synthesize: {e}"))?;
            for s in &assembly.stacks {
                let json = serde_json::to_string_pretty(&s.template)?;
                files.push((format!("snapshots/{}.snap", s.name), snapshot_file(&json)));
            }
        }
    }
    let tmp = dir.with_file_name(format!(
        ".{}.stackforge-init-{}",
        dir.file_name().and_then(|n| n.to_str()).unwrap_or("crate"),
        std::process::id()
    ));
    let write = || -> anyhow::Result<()> {
        for (path, text) in &files {
            let p = tmp.join(path);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))?;
        }
        if dir.exists() {
            std::fs::remove_dir(&dir)?;
        }
        std::fs::rename(&tmp, &dir)
            .with_context(|| format!("cannot move the new crate to {}", dir.display()))?;
        Ok(())
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_cannot_be_a_crate_and_a_stack_are_refused() {
        for bad in ["", "Demo", "1demo", "my_infra", "demo-", &"a".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        for good in ["demo", "my-infra-2"] {
            check_name(good).unwrap();
        }
    }

    #[test]
    fn every_variant_synthesizes() {
        for (db, cache) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = app("demo", db, cache).synth().unwrap();
            let t = &a.stacks[0].template;
            let types: Vec<&str> = t["Resources"]
                .as_object()
                .unwrap()
                .values()
                .map(|r| r["Type"].as_str().unwrap())
                .collect();
            assert_eq!(types.contains(&"AWS::RDS::DBInstance"), db);
            assert_eq!(types.contains(&"AWS::ElastiCache::ReplicationGroup"), cache);
        }
    }

    #[test]
    fn the_examples_copies_are_the_repositorys_files() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let read =
            |p: &str| std::fs::read_to_string(root.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
        let module = |name: &str| format!("examples/apps/src/{}.rs", name.replace('-', "_"));
        for e in EXAMPLES {
            assert_eq!(e.source, read(&module(e.name)), "{}: copy it again", e.name);
            for (stack, snap) in e.stacks {
                let path = format!("snapshots/examples__{}-{stack}.snap", e.name);
                assert_eq!(
                    snapshot_body(snap),
                    snapshot_body(&read(&path)),
                    "{path}: copy it again"
                );
            }
        }
        assert_eq!(EXAMPLES_LIB, read("examples/apps/src/lib.rs"));
    }

    #[test]
    fn the_example_module_keeps_its_doc_comment_first() {
        let m = example_module("//! Doc.\n//! More.\n\nuse x;\n");
        assert!(
            m.starts_with("//! Doc.\n//! More.\n\nuse stackforge::clap;\n"),
            "{m}"
        );
    }

    #[test]
    fn an_existing_directory_with_files_is_refused_and_left_alone() {
        let dir = std::env::temp_dir().join(format!("sf-init-busy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("keep"), "x").unwrap();
        let args = InitArgs {
            name: "demo".into(),
            with_database: false,
            with_cache: false,
            dir: Some(dir.clone()),
            example: None,
            stackforge_path: None,
        };
        assert!(run(&args).unwrap_err().to_string().contains("not empty"));
        assert_eq!(std::fs::read_to_string(dir.join("keep")).unwrap(), "x");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
