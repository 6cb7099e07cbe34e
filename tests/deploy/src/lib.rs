//! Test support for the deploy engine: a moto server per test, apps built from raw
//! resources, and mocked clients.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use stackforge::value::Expr;
use stackforge::{App, Output, Raw, ToExpr, Val};

/// A JSON object whose values may hold references.
pub fn obj(fields: Vec<(&str, Expr)>) -> BTreeMap<String, Expr> {
    fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// A literal as an expression.
pub fn lit(v: serde_json::Value) -> Expr {
    Expr::from(v)
}

/// A service shaped like the flagship's web tier (VPC, two subnets, two security groups, an
/// ALB with listener and target group, an ECS cluster, task definition and Fargate service,
/// a task role), for the state checks moto cannot do on the flagship itself (see
/// `tests/deploy/moto.rs`).
pub fn web_tier(stack_name: &str, desired_count: i64) -> App {
    let app = App::new();
    let mut s = app.stack(stack_name);
    let vpc = s.add_raw(
        "Vpc",
        Raw::new("AWS::EC2::VPC").prop("CidrBlock", lit("10.0.0.0/16".into())),
    );
    let subnets: Vec<Val<String>> = [
        ("SubnetA", "10.0.0.0/24", "us-east-1a"),
        ("SubnetB", "10.0.1.0/24", "us-east-1b"),
    ]
    .into_iter()
    .map(|(id, cidr, az)| {
        s.add_raw(
            id,
            Raw::new("AWS::EC2::Subnet")
                .prop("VpcId", vpc.reference())
                .prop("CidrBlock", lit(cidr.into()))
                .prop("AvailabilityZone", lit(az.into())),
        )
        .reference()
    })
    .collect();
    let alb_sg = s.add_raw(
        "AlbSg",
        Raw::new("AWS::EC2::SecurityGroup")
            .prop("GroupDescription", lit("load balancer".into()))
            .prop("VpcId", vpc.reference())
            .prop(
                "SecurityGroupIngress",
                lit(serde_json::json!([{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0"}])),
            ),
    );
    let svc_sg = s.add_raw(
        "ServiceSg",
        Raw::new("AWS::EC2::SecurityGroup")
            .prop("GroupDescription", lit("service".into()))
            .prop("VpcId", vpc.reference()),
    );
    let alb = s.add_raw(
        "Alb",
        Raw::new("AWS::ElasticLoadBalancingV2::LoadBalancer")
            .prop("Subnets", subnets.clone())
            .prop("SecurityGroups", vec![alb_sg.get_att::<String>("GroupId")]),
    );
    let tg = s.add_raw(
        "TargetGroup",
        Raw::new("AWS::ElasticLoadBalancingV2::TargetGroup")
            .prop("Port", lit(80.into()))
            .prop("Protocol", lit("HTTP".into()))
            .prop("TargetType", lit("ip".into()))
            .prop("VpcId", vpc.reference()),
    );
    let listener = s.add_raw(
        "Listener",
        Raw::new("AWS::ElasticLoadBalancingV2::Listener")
            .prop("LoadBalancerArn", alb.reference())
            .prop("Port", lit(80.into()))
            .prop("Protocol", lit("HTTP".into()))
            .prop(
                "DefaultActions",
                vec![obj(vec![
                    ("Type", lit("forward".into())),
                    ("TargetGroupArn", tg.reference().into()),
                ])],
            ),
    );
    let role = s.add_raw(
        "TaskRole",
        Raw::new("AWS::IAM::Role").prop(
            "AssumeRolePolicyDocument",
            lit(serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})),
        ),
    );
    let cluster = s.add_raw("Cluster", Raw::new("AWS::ECS::Cluster"));
    let task = s.add_raw(
        "TaskDef",
        Raw::new("AWS::ECS::TaskDefinition")
            .prop("Family", lit("web".into()))
            .prop("Cpu", lit("256".into()))
            .prop("Memory", lit("512".into()))
            .prop("NetworkMode", lit("awsvpc".into()))
            .prop("RequiresCompatibilities", lit(serde_json::json!(["FARGATE"])))
            .prop("TaskRoleArn", role.get_att::<String>("Arn"))
            .prop(
                "ContainerDefinitions",
                lit(serde_json::json!([{"Name": "web", "Image": "nginx:1.27", "Essential": true, "PortMappings": [{"ContainerPort": 80}]}])),
            ),
    );
    let service = s.add_raw(
        "Service",
        Raw::new("AWS::ECS::Service")
            .prop("Cluster", cluster.reference())
            .prop("TaskDefinition", task.reference())
            .prop("DesiredCount", lit(desired_count.into()))
            .prop("LaunchType", lit("FARGATE".into()))
            .prop(
                "NetworkConfiguration",
                obj(vec![(
                    "AwsvpcConfiguration",
                    obj(vec![
                        ("Subnets", subnets.to_expr()),
                        (
                            "SecurityGroups",
                            vec![svc_sg.get_att::<String>("GroupId")].to_expr(),
                        ),
                        ("AssignPublicIp", lit("DISABLED".into())),
                    ])
                    .to_expr(),
                )]),
            )
            .prop(
                "LoadBalancers",
                vec![obj(vec![
                    ("ContainerName", lit("web".into())),
                    ("ContainerPort", lit(80.into())),
                    ("TargetGroupArn", tg.reference().into()),
                ])],
            ),
    );
    s.depends_on(service, listener);
    s.output(
        "LoadBalancerDns",
        Output::new(alb.get_att::<String>("DNSName")),
    );
    app
}

/// Two stacks: `producer` exports a VPC id, `consumer` imports it into a security group
/// (through `Fn::ImportValue`, as stackforge synthesizes cross-stack references). With
/// `linked == false` the consumer uses a VPC of its own, so the producer drops its export.
pub fn two_stacks(linked: bool) -> App {
    let app = App::new();
    let vpc = {
        let mut p = app.stack("producer");
        p.add_raw(
            "Vpc",
            Raw::new("AWS::EC2::VPC").prop("CidrBlock", lit("10.1.0.0/16".into())),
        )
    };
    let mut c = app.stack("consumer");
    let vpc = if linked {
        vpc
    } else {
        c.add_raw(
            "OwnVpc",
            Raw::new("AWS::EC2::VPC").prop("CidrBlock", lit("10.2.0.0/16".into())),
        )
    };
    c.add_raw(
        "Sg",
        Raw::new("AWS::EC2::SecurityGroup")
            .prop("GroupDescription", lit("consumer".into()))
            .prop("VpcId", vpc.reference()),
    );
    app
}

/// One stack whose minified template is over CloudFormation's 51,200-byte inline limit.
pub fn large(stack_name: &str) -> App {
    let app = App::new();
    let mut s = app.stack(stack_name);
    for i in 0..120 {
        s.add_raw(
            &format!("Topic{i}"),
            Raw::new("AWS::SNS::Topic")
                .prop("DisplayName", lit(serde_json::json!("x".repeat(90))))
                .prop(
                    "Tags",
                    lit(serde_json::json!([{"Key": "purpose", "Value": "y".repeat(250)}])),
                ),
        );
    }
    app
}

/// One small stack: a queue and a topic.
pub fn small(stack_name: &str) -> App {
    let app = App::new();
    let mut s = app.stack(stack_name);
    let q = s.add_raw("Queue", Raw::new("AWS::SQS::Queue"));
    s.add_raw("Topic", Raw::new("AWS::SNS::Topic"));
    s.output("QueueUrl", Output::new(q.reference()));
    app
}

/// A moto server on 127.0.0.1 with a free port, killed on drop.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    addr: SocketAddr,
}

/// The moto_server binary: `STACKFORGE_MOTO_SERVER`, else `<repo>/.venv/tools/bin/moto_server`.
pub fn moto_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("STACKFORGE_MOTO_SERVER") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/tools/bin/moto_server")
}

impl Moto {
    /// Starts a server and waits until it answers. Panics with instructions if the binary
    /// is missing: these tests never skip silently.
    pub fn start() -> Moto {
        let bin = moto_binary();
        assert!(
            bin.exists(),
            "moto_server not found at {}: run `scripts/setup-tools all` (installs the pinned moto[server]) or set STACKFORGE_MOTO_SERVER",
            bin.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free loopback port");
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
            addr,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if moto.get("/moto-api/").is_some() {
                return moto;
            }
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto_server exited with {status} before it was ready");
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not answer on {} within 30 s",
                moto.url
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn get(&self, path: &str) -> Option<String> {
        let mut s = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2)).ok()?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut buf = String::new();
        s.read_to_string(&mut buf).ok()?;
        Some(buf)
    }

    /// Sends one unsigned request (see [`Moto::api`]); returns the response body.
    pub fn request(&self, method: &str, path: &str, service: &str, body: &str) -> String {
        let mut s = TcpStream::connect(self.addr).expect("connect to moto");
        let auth = format!("AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0");
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: {auth}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .expect("write to moto");
        let mut buf = String::new();
        s.read_to_string(&mut buf).expect("read from moto");
        buf.split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or(buf)
    }

    /// Calls an AWS API on moto without signing (moto does not check signatures), the way
    /// the AWS CLI would: `service` picks moto's backend through the credential scope.
    /// `query` protocol when `target` is `None` (form body), JSON 1.1 otherwise.
    pub fn api(&self, service: &str, target: Option<&str>, body: &str) -> String {
        let mut s = TcpStream::connect(self.addr).expect("connect to moto");
        let auth = format!("AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0");
        let (ctype, extra) = match target {
            Some(t) => (
                "application/x-amz-json-1.1",
                format!("X-Amz-Target: {t}\r\n"),
            ),
            None => ("application/x-www-form-urlencoded", String::new()),
        };
        write!(
            s,
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: {auth}\r\nContent-Type: {ctype}\r\n{extra}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .expect("write to moto");
        let mut buf = String::new();
        s.read_to_string(&mut buf).expect("read from moto");
        buf.split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or(buf)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh, empty directory for one test's `out/`.
pub fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("stackforge-deploy-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create a temp dir");
    d
}
