//! The wall time of a no-op redeploy of every example on the local endpoint (moto), with
//! `--concurrency 1` and `--concurrency 4` (BENCHMARKS.md, "No-op redeploy").
//!
//! ```sh
//! STACKFORGE_MOTO_SERVER=.venv/tools/bin/moto_server \
//!   cargo run -q -p stackforge-deploy-tests --bin redeploy-bench -- [ROUNDS]
//! ```
//!
//! Each example gets a moto server of its own (falafel-api and orders-api both have a stack
//! `registry`), is deployed once as the deploy tests do (registry first, the image pushed,
//! then everything; hello-redis only its registry: moto has no ElastiCache), then every
//! example is redeployed with nothing changed, one example after another, `ROUNDS` times
//! (default 3) per concurrency, alternating. A redeploy that changes anything or fails
//! stops the benchmark.

use std::time::{Duration, Instant};

use serde_json::json;
use stackforge::cli::{exit, run_from};
use stackforge::App;
use stackforge_deploy_tests::{tempdir, Moto};
use stackforge_examples::{chatbot, ec2_fleet, falafel_api, fargate_app, hello_redis};

/// One example: how to run its CLI, the stacks to deploy, and the image to push first.
struct Example {
    name: &'static str,
    run: fn(Vec<String>) -> (i32, String, String),
    /// `--stack` arguments (empty: all).
    stacks: &'static [&'static str],
    /// `(registry stack, repository, tag)` to deploy and push before the rest.
    image: Option<(&'static str, &'static str, &'static str)>,
    moto: Moto,
    dir: std::path::PathBuf,
}

fn run_with<O: stackforge::clap::Args>(
    args: Vec<String>,
    build: fn(&O) -> App,
) -> (i32, String, String) {
    let (mut o, mut e) = (Vec::new(), Vec::new());
    let code = run_from::<O>(args, build, &mut o, &mut e);
    (
        code,
        String::from_utf8_lossy(&o).into_owned(),
        String::from_utf8_lossy(&e).into_owned(),
    )
}

impl Example {
    fn cli(&self, args: &[&str], stacks: &[&str]) -> (i32, String, String) {
        let mut argv = vec![self.name.to_owned()];
        argv.extend(args.iter().map(|a| a.to_string()));
        for s in stacks {
            argv.extend(["--stack".to_owned(), s.to_string()]);
        }
        argv.extend([
            "--endpoint-url".to_owned(),
            self.moto.url.clone(),
            "--out".to_owned(),
            self.dir.to_string_lossy().into_owned(),
        ]);
        (self.run)(argv)
    }

    fn must(&self, what: &str, (code, out, err): (i32, String, String)) -> String {
        if code != exit::OK {
            eprintln!("{}: {what} failed ({code}):\n{out}\n{err}", self.name);
            std::process::exit(1);
        }
        out
    }

    fn push_image(&self, repository: &str, tag: &str) {
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023,
                       "digest": "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"},
            "layers": []
        });
        let body = json!({"repositoryName": repository, "imageTag": tag, "imageManifest": manifest.to_string()});
        self.moto.api(
            "ecr",
            Some("AmazonEC2ContainerRegistry_V20150921.PutImage"),
            &body.to_string(),
        );
    }

    fn deploy_first(&self) {
        // As the deploy tests do: stacks that export are created with CreateStack (moto
        // registers exports only then); the flagship through a change set, as its test.
        let method = if self.name == "fargate-app" {
            "change-set"
        } else {
            "direct"
        };
        let direct = [
            "deploy",
            "--yes",
            "--method",
            method,
            "--poll-interval",
            "0.2",
        ];
        self.must(
            "bootstrap",
            self.cli(&["bootstrap", "--yes", "--poll-interval", "0.2"], &[]),
        );
        if let Some((registry, repository, tag)) = self.image {
            self.must("registry deploy", self.cli(&direct, &[registry]));
            self.push_image(repository, tag);
        }
        self.must("first deploy", self.cli(&direct, self.stacks));
    }

    /// A no-op redeploy; returns its wall time and the number of stacks.
    fn redeploy(&self, concurrency: usize) -> (Duration, usize) {
        let n = concurrency.to_string();
        let start = Instant::now();
        let out = self.must(
            "redeploy",
            self.cli(&["deploy", "--yes", "--concurrency", &n], self.stacks),
        );
        let elapsed = start.elapsed();
        let unchanged = out.lines().filter(|l| l.ends_with(": no changes")).count();
        let total = out
            .lines()
            .find_map(|l| l.strip_prefix("done: "))
            .and_then(|l| l.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0);
        if unchanged != total || total == 0 {
            eprintln!(
                "{}: the redeploy changed something ({unchanged} of {total} unchanged):\n{out}",
                self.name
            );
            std::process::exit(1);
        }
        (elapsed, total)
    }
}

fn main() {
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_CONFIG_FILE", "/nonexistent/stackforge-bench-config"),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/stackforge-bench-credentials",
        ),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ] {
        std::env::set_var(k, v);
    }
    std::env::remove_var("AWS_PROFILE");
    std::env::remove_var("AWS_ENDPOINT_URL");
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let example =
        |name: &'static str,
         run: fn(Vec<String>) -> (i32, String, String),
         stacks: &'static [&'static str],
         image: Option<(&'static str, &'static str, &'static str)>| Example {
            name,
            run,
            stacks,
            image,
            moto: Moto::start(),
            dir: tempdir(&format!("bench-{name}")),
        };
    let examples = [
        example(
            "fargate-app",
            |a| run_with::<fargate_app::Options>(a, fargate_app::build),
            &[],
            None,
        ),
        example(
            "ec2-fleet",
            |a| run_with::<ec2_fleet::Options>(a, ec2_fleet::build),
            &[],
            None,
        ),
        example(
            "falafel-api",
            |a| run_with::<falafel_api::Options>(a, falafel_api::build),
            &[],
            Some(("registry", falafel_api::REPOSITORY_NAME, "v1")),
        ),
        example(
            "chatbot",
            |a| run_with::<chatbot::Options>(a, chatbot::build),
            &[],
            Some(("chatbot-registry", "chatbot", "v1")),
        ),
        example(
            "hello-redis",
            |a| run_with::<hello_redis::Options>(a, hello_redis::build),
            &["hello-redis-registry"],
            None,
        ),
        example(
            "orders-api",
            |a| run_with::<orders_api::Options>(a, orders_api::build),
            &[],
            Some(("registry", orders_api::REPOSITORY_NAME, "v1")),
        ),
    ];
    for e in &examples {
        e.deploy_first();
        eprintln!("{}: deployed", e.name);
    }
    let mut times: Vec<(usize, Vec<Duration>)> = vec![(1, Vec::new()), (4, Vec::new())];
    let mut stacks = 0;
    for _ in 0..rounds {
        for (concurrency, samples) in &mut times {
            let mut total = Duration::ZERO;
            stacks = 0;
            for e in &examples {
                let (t, n) = e.redeploy(*concurrency);
                total += t;
                stacks += n;
            }
            samples.push(total);
        }
    }
    println!(
        "no-op redeploy of {} examples ({stacks} stacks), {rounds} rounds:",
        examples.len()
    );
    for (concurrency, mut samples) in times {
        samples.sort();
        let median = samples[samples.len() / 2];
        let all: Vec<String> = samples
            .iter()
            .map(|d| format!("{:.2}", d.as_secs_f64()))
            .collect();
        println!(
            "  --concurrency {concurrency}: median {:.2} s (all: {} s)",
            median.as_secs_f64(),
            all.join(", ")
        );
    }
    for e in &examples {
        for c in [1, 4] {
            let (t, n) = e.redeploy(c);
            println!(
                "  {:<12} {n} stack(s)  --concurrency {c}: {:.2} s",
                e.name,
                t.as_secs_f64()
            );
        }
    }
}
