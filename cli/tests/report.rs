//! `stackforge report` on the example systems, through the binary: the internet-exposed
//! list, the model's network and paths, `--against`, the HTML (pinned by a snapshot), and
//! the page as a person sees it, rendered by headless Chromium (Debian's `chromium`, from
//! `scripts/setup-tools chromium`; the tests fail when it is missing).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;
use stackforge::App;
use stackforge_examples::{chatbot, ec2_fleet, falafel_api, fargate_app, hello_redis};

/// Synthesizes `app` into a fresh assembly directory under the test target directory.
fn assemble(name: &str, app: &App) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("report")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let a = app
        .synth()
        .unwrap_or_else(|e| panic!("{name} does not synthesize: {e}"));
    a.write(&dir).unwrap();
    dir
}

/// Runs `stackforge report DIR --json [extra]`: the page's text and the model.
fn report(dir: &Path, extra: &[&str]) -> (String, Json) {
    let out = Command::new(env!("CARGO_BIN_EXE_stackforge"))
        .arg("report")
        .arg(dir)
        .arg("--json")
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "report failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let event: Json = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Json>(l).ok())
        .find(|e| e["event"] == "report")
        .unwrap_or_else(|| panic!("no report event in {stdout}"));
    let path = PathBuf::from(event["path"].as_str().unwrap());
    assert_eq!(path, dir.join("report.html"));
    (
        std::fs::read_to_string(path).unwrap(),
        event["model"].clone(),
    )
}

fn flagship() -> App {
    fargate_app::build(&fargate_app::Options::default())
}

/// Every listener port in the assembly's templates, read straight from the JSON.
fn listener_ports(dir: &Path) -> BTreeSet<i64> {
    let manifest: Json =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let mut ports = BTreeSet::new();
    for s in manifest["stacks"].as_array().unwrap() {
        let t: Json = serde_json::from_str(
            &std::fs::read_to_string(dir.join(s["template"].as_str().unwrap())).unwrap(),
        )
        .unwrap();
        for r in t["Resources"].as_object().unwrap().values() {
            if r["Type"] == "AWS::ElasticLoadBalancingV2::Listener" {
                ports.insert(r["Properties"]["Port"].as_i64().unwrap());
            }
        }
    }
    ports
}

fn exposed_ports(model: &Json) -> BTreeSet<i64> {
    model["exposed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["from_port"], e["to_port"], "a range is exposed: {e}");
            e["from_port"].as_i64().unwrap()
        })
        .collect()
}

fn names(list: &Json, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|x| x[field].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_flagship_exposes_exactly_its_listener_ports_on_its_load_balancer() {
    let dir = assemble("exposed-flagship", &flagship());
    let (_, model) = report(&dir, &[]);
    assert_eq!(exposed_ports(&model), listener_ports(&dir));
    assert_eq!(exposed_ports(&model), BTreeSet::from([80]));
    for e in model["exposed"].as_array().unwrap() {
        assert_eq!(e["resource"], "WebLoadBalancer");
        assert_eq!(e["peer"], "0.0.0.0/0");
    }
}

#[test]
fn with_a_certificate_the_flagship_exposes_80_and_443_its_two_listeners() {
    let app = fargate_app::build(&fargate_app::Options {
        certificate_arn: Some(
            "arn:aws:acm:us-east-1:123456789012:certificate/0b9b5e2c-1111-2222-3333-444455556666"
                .into(),
        ),
        ..Default::default()
    });
    let dir = assemble("exposed-flagship-tls", &app);
    let (_, model) = report(&dir, &[]);
    assert_eq!(exposed_ports(&model), listener_ports(&dir));
    assert_eq!(exposed_ports(&model), BTreeSet::from([80, 443]));
}

#[test]
fn every_example_behind_a_load_balancer_exposes_exactly_its_listener_ports() {
    for (name, app) in [
        ("chatbot", chatbot::build(&Default::default())),
        ("hello-redis", hello_redis::build(&Default::default())),
        ("falafel-api", falafel_api::build(&Default::default())),
    ] {
        let dir = assemble(&format!("exposed-{name}"), &app);
        let (_, model) = report(&dir, &[]);
        let listeners = listener_ports(&dir);
        assert!(!listeners.is_empty(), "{name} has listeners");
        assert_eq!(exposed_ports(&model), listeners, "{name}");
    }
}

#[test]
fn ec2_fleet_exposes_exactly_80_and_443_on_its_public_instances() {
    let dir = assemble("exposed-ec2-fleet", &ec2_fleet::build(&Default::default()));
    let (_, model) = report(&dir, &[]);
    assert_eq!(exposed_ports(&model), BTreeSet::from([80, 443]));
    let resources: BTreeSet<String> = names(&model["exposed"], "resource").into_iter().collect();
    assert_eq!(
        resources,
        BTreeSet::from(
            [
                "FleetAmazonLinuxInstance",
                "FleetDebianInstance",
                "FleetUbuntuInstance",
                "FleetWindowsInstance"
            ]
            .map(String::from)
        )
    );
}

#[test]
fn an_admin_cidr_is_not_the_internet_but_a_world_open_one_is() {
    let dir = assemble(
        "exposed-ec2-fleet-admin",
        &ec2_fleet::build(&ec2_fleet::Options {
            admin_cidr: Some("203.0.113.0/24".into()),
            allow_world_admin: false,
        }),
    );
    let (_, model) = report(&dir, &[]);
    assert_eq!(exposed_ports(&model), BTreeSet::from([80, 443]));
    let dir = assemble(
        "exposed-ec2-fleet-world-admin",
        &ec2_fleet::build(&ec2_fleet::Options {
            admin_cidr: Some("0.0.0.0/0".into()),
            allow_world_admin: true,
        }),
    );
    let (_, model) = report(&dir, &[]);
    assert_eq!(exposed_ports(&model), BTreeSet::from([22, 80, 443, 3389]));
}

#[test]
fn the_flagship_model_has_its_network_its_path_its_access_and_its_costs() {
    let dir = assemble("model-flagship", &flagship());
    let (_, m) = report(&dir, &[]);
    let vpc = &m["vpcs"][0];
    assert_eq!(vpc["cidr"], "10.0.0.0/16");
    assert_eq!(names(&vpc["azs"], "name"), ["AZ 1", "AZ 2"]);
    for (i, az) in vpc["azs"].as_array().unwrap().iter().enumerate() {
        let subnets = az["subnets"].as_array().unwrap();
        assert_eq!(subnets.len(), 2);
        assert_eq!(subnets[0]["name"], format!("NetPublicSubnet{}", i + 1));
        assert_eq!(subnets[0]["public"], true);
        assert_eq!(subnets[1]["public"], false);
        let runs = |s: &Json| -> Vec<String> {
            s["workloads"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w.as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            runs(&subnets[0]),
            [
                format!("NetNatGateway{}", i + 1),
                "WebLoadBalancer".to_owned()
            ]
        );
        assert_eq!(runs(&subnets[1]), ["DbInstance", "WebService"]);
    }
    let cidrs: Vec<&str> = vpc["azs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["subnets"].as_array().unwrap())
        .map(|s| s["cidr"].as_str().unwrap())
        .collect();
    assert_eq!(
        cidrs,
        ["10.0.0.0/24", "10.0.16.0/20", "10.0.1.0/24", "10.0.32.0/20"]
    );
    // listener → target group → service → database
    let edges: BTreeSet<(String, String)> = m["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from"].as_str().unwrap().to_owned(),
                e["to"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (from, to) in [
        ("WebLoadBalancer", "WebHttpListener"),
        ("WebHttpListener", "WebTargetGroup"),
        ("WebTargetGroup", "WebService"),
        ("WebService", "DbInstance"),
    ] {
        assert!(
            edges.contains(&(from.into(), to.into())),
            "{from} → {to} in {edges:?}"
        );
    }
    let service = m["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "WebService")
        .unwrap();
    assert_eq!(service["detail"], "FARGATE, 2 tasks");
    // The database's secret: the execution role may read it, the task definition injects it.
    let secret = &m["secrets"][0];
    assert_eq!(secret["name"], "DbSecret");
    let readers = secret["readers"].to_string();
    assert!(
        readers.contains("role WebExecutionRole may secretsmanager:GetSecretValue"),
        "{readers}"
    );
    assert!(readers.contains("VTT_DBUSER, VTT_DBPASSWORD"), "{readers}");
    // Cost drivers are counts.
    let cost = |item: &str| {
        m["costs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["item"] == item)
            .map(|c| c["count"].as_i64().unwrap())
    };
    assert_eq!(cost("NAT gateways"), Some(2));
    assert_eq!(cost("Load balancers"), Some(1));
    assert_eq!(cost("ECS tasks (desired)"), Some(2));
    assert_eq!(
        cost("Multi-AZ databases (standby doubles the instance)"),
        Some(1)
    );
    // The rules: the internet reaches the load balancer only; the database only from Web.
    let open: Vec<&Json> = m["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["open"] == true)
        .collect();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["destination"], "WebLoadBalancer");
    assert!(m["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["source"] == "WebService"
            && r["destination"] == "DbInstance"
            && r["ports"] == "tcp 5432"));
    // Skipped checks carry their reasons.
    let checks = m["checks"].as_array().unwrap();
    assert!(checks.iter().any(|c| c["resource"] == "DbInstance"
        && c["id"] == "CKV2_AWS_69"
        && c["reason"].as_str().unwrap().contains("sslmode=disable")));
}

#[test]
fn wildcards_in_a_role_are_flagged() {
    // ec2-fleet's role has only an AWS managed policy; the flagship's roles are scoped.
    let dir = assemble("wildcards-flagship", &flagship());
    let (_, m) = report(&dir, &[]);
    let roles = m["roles"].as_array().unwrap();
    let exec = roles
        .iter()
        .find(|r| r["name"] == "WebExecutionRole")
        .unwrap();
    assert_eq!(exec["wildcard"], false, "{exec}");
    assert_eq!(exec["trusted_by"][0], "ecs-tasks.amazonaws.com");
    // The flow-log role writes to any log stream of its group: `…:*` is flagged.
    let flow = roles
        .iter()
        .find(|r| r["name"] == "NetFlowLogRole")
        .unwrap();
    let flagged: Vec<&Json> = flow["statements"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            s["actions"]
                .as_array()
                .unwrap()
                .iter()
                .chain(s["resources"].as_array().unwrap())
        })
        .filter(|i| i["wildcard"] == true)
        .collect();
    assert_eq!(flow["wildcard"], !flagged.is_empty());
    for i in flagged {
        assert!(i["text"].as_str().unwrap().contains('*'));
    }
}

#[test]
fn against_an_earlier_assembly_marks_what_is_added_removed_and_replaced() {
    let old = assemble(
        "against-old",
        &fargate_app::build(&fargate_app::Options {
            single_nat: true,
            ..Default::default()
        }),
    );
    let new = assemble("against-new", &flagship());
    let (html, m) = report(&new, &["--against", old.to_str().unwrap()]);
    let changes = m["changes"].as_array().unwrap();
    let find = |id: &str| {
        changes
            .iter()
            .find(|c| c["resource"] == format!("fargate-app/{id}"))
            .map(|c| c["action"].as_str().unwrap().to_owned())
    };
    assert_eq!(find("NetNatGateway2").as_deref(), Some("added"));
    assert_eq!(find("NetNatEip2").as_deref(), Some("added"));
    assert_eq!(find("WebService"), None, "{changes:?}");
    let nat = m["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "NetNatGateway2")
        .unwrap();
    assert_eq!(nat["change"], "added");
    assert!(
        html.contains("class=\"item nat added\""),
        "the box is marked"
    );
    // And the other way round: the second NAT gateway is removed.
    let (_, m) = report(&old, &["--against", new.to_str().unwrap()]);
    assert!(m["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["resource"] == "fargate-app/NetNatGateway2" && c["action"] == "removed"));
    // A replacement: the VPC's CIDR is create-only, so every subnet comes back replaced.
    let mut edited = std::fs::read_to_string(old.join("fargate-app.template.json")).unwrap();
    edited = edited.replace("\"10.0.0.0/24\"", "\"10.0.4.0/24\"");
    let edited_dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("report")
        .join("against-edited");
    let _ = std::fs::remove_dir_all(&edited_dir);
    std::fs::create_dir_all(&edited_dir).unwrap();
    let mut manifest: Json =
        serde_json::from_str(&std::fs::read_to_string(old.join("manifest.json")).unwrap()).unwrap();
    manifest["stacks"][0]["sha256"] =
        Json::from(stackforge::assembly::sha256_hex(edited.as_bytes()));
    std::fs::write(edited_dir.join("fargate-app.template.json"), &edited).unwrap();
    std::fs::write(edited_dir.join("manifest.json"), manifest.to_string()).unwrap();
    let (_, m) = report(&new, &["--against", edited_dir.to_str().unwrap()]);
    assert!(
        m["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["resource"] == "fargate-app/NetPublicSubnet1" && c["action"] == "replaced"),
        "{}",
        m["changes"]
    );
}

#[test]
fn a_missing_assembly_is_the_typed_error_sfa001() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("report")
        .join("no-such-assembly");
    let out = Command::new(env!("CARGO_BIN_EXE_stackforge"))
        .args(["report", "--json"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "exit::INVALID: {out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("\"code\":\"SFA001\""),
        "{out:?}"
    );
    assert!(!dir.join("report.html").exists());
}

#[test]
fn the_flagship_page_is_self_contained_and_pinned() {
    let dir = assemble("snapshot-flagship", &flagship());
    let (html, _) = report(&dir, &[]);
    for banned in ["<script", "<link", " src=", "url(", "@import", "<iframe"] {
        assert!(
            !html.contains(banned),
            "the page must load nothing: found `{banned}`"
        );
    }
    let (again, _) = report(&dir, &[]);
    assert_eq!(html, again, "the page is deterministic");
    insta::with_settings!({snapshot_path => "../../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("report-fargate-app", html);
    });
}

// ---------------------------------------------------------------- Chromium

fn chromium() -> PathBuf {
    for c in ["chromium", "chromium-browser"] {
        if let Ok(out) = Command::new("sh")
            .args(["-c", &format!("command -v {c}")])
            .output()
        {
            if out.status.success() {
                return PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            }
        }
    }
    panic!("headless Chromium is missing: run `scripts/setup-tools chromium` (Debian's `chromium` package)");
}

fn headless(profile: &Path) -> Command {
    let mut c = Command::new(chromium());
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--window-size=1400,1600",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// Luminance variance of a PNG (0 for a blank page).
fn variance(png_path: &Path) -> f64 {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let px: Vec<f64> = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|p| {
            if channels >= 3 {
                0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2])
            } else {
                f64::from(p[0])
            }
        })
        .collect();
    let mean = px.iter().sum::<f64>() / px.len() as f64;
    px.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / px.len() as f64
}

/// Renders the report of `app` and checks the screenshot and the DOM after layout.
fn browser_check(name: &str, app: &App, expected: &[&str]) {
    let dir = assemble(&format!("chromium-{name}"), app);
    let (_, model) = report(&dir, &[]);
    let page = dir.join("report.html");
    let url = format!("file://{}", page.display());
    let profile = dir.join(".chromium");
    let png_path = dir.join("report.png");
    let out = headless(&profile)
        .arg(format!("--screenshot={}", png_path.display()))
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        png_path.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = variance(&png_path);
    assert!(
        v > 200.0,
        "{name}: the screenshot looks blank (variance {v})"
    );
    let out = headless(&profile)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("<svg"), "{name}: no diagram in the DOM");
    for want in expected {
        assert!(
            dom.contains(want),
            "{name}: `{want}` is not in the rendered DOM"
        );
    }
    // Every exposed port is in the highlighted list.
    for e in model["exposed"].as_array().unwrap() {
        let cell = format!(
            "<span class=\"port\">{}</span>",
            e["ports"].as_str().unwrap()
        );
        assert!(
            dom.contains(&cell),
            "{name}: exposed port {cell} not rendered"
        );
    }
}

#[test]
fn chromium_renders_the_flagship_report() {
    browser_check(
        "fargate-app",
        &flagship(),
        &[
            "NetVpc",
            "10.0.0.0/16",
            "AZ 1",
            "AZ 2",
            "NetPublicSubnet1",
            "NetPublicSubnet2",
            "NetPrivateSubnet1",
            "NetPrivateSubnet2",
            "10.0.0.0/24",
            "10.0.1.0/24",
            "10.0.16.0/20",
            "10.0.32.0/20",
            "WebLoadBalancer",
            "WebService",
            "DbInstance",
            "tcp 5432",
            "tcp 3000",
            "<span class=\"port\">80</span>",
        ],
    );
}

#[test]
fn chromium_renders_every_example_report() {
    browser_check(
        "ec2-fleet",
        &ec2_fleet::build(&Default::default()),
        &[
            "NetPublicSubnet",
            "10.0.0.0/24",
            "FleetDebianInstance",
            "<span class=\"port\">443</span>",
        ],
    );
    browser_check(
        "chatbot",
        &chatbot::build(&Default::default()),
        &[
            "NetVpc",
            "WebLoadBalancer",
            "WebService",
            "chatbot-registry",
        ],
    );
    browser_check(
        "hello-redis",
        &hello_redis::build(&Default::default()),
        &[
            "RedisReplicationGroup",
            "WebService",
            "tcp 6379",
            "RedisAuthToken",
        ],
    );
    browser_check(
        "orders-api",
        &orders_api::build(&Default::default()),
        &[
            "HttpApi",
            "ApiFunction",
            "WorkerService",
            "OrdersQueue",
            "OrdersTable",
            "ReceiptsBucket",
            "10.0.16.0/20",
            "<span class=\"port\">443</span>",
        ],
    );
    browser_check(
        "falafel-api",
        &falafel_api::build(&Default::default()),
        &["FalafelsTable", "ApiService", "ApiLoadBalancer"],
    );
}
