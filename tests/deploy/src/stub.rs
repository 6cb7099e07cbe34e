//! A stub CloudFormation endpoint on 127.0.0.1: just enough of the query API (and STS
//! `GetCallerIdentity`) for one stack `tiny` to be updated or created and then held in
//! `UPDATE_IN_PROGRESS` / `CREATE_IN_PROGRESS` until `CancelUpdateStack`. moto cannot do
//! this: it has no `CancelUpdateStack` and finishes every operation at once.
//!
//! Every request's `Action` is logged ([`Stub::actions`]).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

const NS: &str = "http://cloudformation.amazonaws.com/doc/2010-05-15/";
const ACCOUNT: &str = "123456789012";
const STACK_ID: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/tiny/1";
const CS_ID: &str = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/cs/1";

/// What the stub does with the stack once the change set runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hold {
    /// Stay in progress until CancelUpdateStack (an update) or for ever (a create).
    Forever,
    /// Finish after this many DescribeStacks.
    Polls(u32),
}

#[derive(Debug)]
struct State {
    /// `None`: no stack yet.
    status: Option<String>,
    deployed_template: String,
    hold: Hold,
    actions: Vec<String>,
}

/// The running stub.
pub struct Stub {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl Stub {
    /// Starts the stub. `deployed`: the template of a stack `tiny` in UPDATE_COMPLETE, or
    /// `None` for no stack (a create).
    pub fn start(deployed: Option<String>, hold: Hold) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port on 127.0.0.1");
        let port = listener.local_addr().expect("address").port();
        let state = Arc::new(Mutex::new(State {
            status: deployed.as_ref().map(|_| "UPDATE_COMPLETE".to_owned()),
            deployed_template: deployed.unwrap_or_default(),
            hold,
            actions: Vec::new(),
        }));
        let s = state.clone();
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let s = s.clone();
                thread::spawn(move || serve(conn, &s));
            }
        });
        Stub {
            url: format!("http://127.0.0.1:{port}"),
            state,
        }
    }

    /// The `Action` of every request so far.
    pub fn actions(&self) -> Vec<String> {
        self.state
            .lock()
            .map(|s| s.actions.clone())
            .unwrap_or_default()
    }
}

fn serve(conn: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut writer = conn;
    loop {
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let form = String::from_utf8_lossy(&body).into_owned();
        let (status, xml) = answer(&form, state);
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{xml}",
            xml.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// One form field, percent-decoded.
fn field(form: &str, key: &str) -> Option<String> {
    form.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| decode(v))
    })
}

fn decode(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("00");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn ok(action: &str, result: &str) -> (&'static str, String) {
    (
        "200 OK",
        format!(
            "<{action}Response xmlns=\"{NS}\"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata></{action}Response>"
        ),
    )
}

fn error(code: &str, message: &str) -> (&'static str, String) {
    (
        "400 Bad Request",
        format!(
            "<ErrorResponse xmlns=\"{NS}\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>stub</RequestId></ErrorResponse>",
            escape(message)
        ),
    )
}

fn answer(form: &str, state: &Mutex<State>) -> (&'static str, String) {
    let action = field(form, "Action").unwrap_or_default();
    let Ok(mut st) = state.lock() else {
        return error("InternalFailure", "stub state poisoned");
    };
    st.actions.push(action.clone());
    match action.as_str() {
        "GetCallerIdentity" => (
            "200 OK",
            format!(
                "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::{ACCOUNT}:user/test</Arn><UserId>AIDSTUB</UserId><Account>{ACCOUNT}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
            ),
        ),
        "DescribeStacks" => {
            let Some(status) = st.status.clone() else {
                return error("ValidationError", "Stack with id tiny does not exist");
            };
            // Operations in progress end after the held number of polls.
            if let Hold::Polls(n) = st.hold {
                if status.ends_with("_IN_PROGRESS") && status != "REVIEW_IN_PROGRESS" {
                    if n == 0 {
                        st.status = Some(
                            status
                                .replace("_ROLLBACK_IN_PROGRESS", "_ROLLBACK_COMPLETE")
                                .replace("_IN_PROGRESS", "_COMPLETE"),
                        );
                    } else {
                        st.hold = Hold::Polls(n - 1);
                    }
                }
            }
            let status = st.status.clone().unwrap_or_default();
            ok(
                "DescribeStacks",
                &format!("<Stacks><member><StackName>tiny</StackName><StackId>{STACK_ID}</StackId><CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>{status}</StackStatus></member></Stacks>"),
            )
        }
        "DescribeStackEvents" => ok("DescribeStackEvents", "<StackEvents></StackEvents>"),
        "GetTemplate" => ok(
            "GetTemplate",
            &format!("<TemplateBody>{}</TemplateBody>", escape(&st.deployed_template)),
        ),
        "GetStackPolicy" => ok("GetStackPolicy", ""),
        "CreateChangeSet" => {
            if st.status.is_none() {
                st.status = Some("REVIEW_IN_PROGRESS".to_owned());
            }
            ok(
                "CreateChangeSet",
                &format!("<Id>{CS_ID}</Id><StackId>{STACK_ID}</StackId>"),
            )
        }
        "DescribeChangeSet" => ok(
            "DescribeChangeSet",
            &format!("<ChangeSetName>cs</ChangeSetName><ChangeSetId>{CS_ID}</ChangeSetId><StackId>{STACK_ID}</StackId><StackName>tiny</StackName><Status>CREATE_COMPLETE</Status><ExecutionStatus>AVAILABLE</ExecutionStatus><Changes><member><Type>Resource</Type><ResourceChange><Action>Add</Action><LogicalResourceId>Topic</LogicalResourceId><ResourceType>AWS::SNS::Topic</ResourceType></ResourceChange></member></Changes>"),
        ),
        "ExecuteChangeSet" => {
            st.status = Some(
                if st.status.as_deref() == Some("REVIEW_IN_PROGRESS") {
                    "CREATE_IN_PROGRESS"
                } else {
                    "UPDATE_IN_PROGRESS"
                }
                .to_owned(),
            );
            ok("ExecuteChangeSet", "")
        }
        "CancelUpdateStack" => {
            if st.status.as_deref() != Some("UPDATE_IN_PROGRESS") {
                return error(
                    "ValidationError",
                    "CancelUpdateStack cannot be called from current stack status",
                );
            }
            st.status = Some("UPDATE_ROLLBACK_IN_PROGRESS".to_owned());
            st.hold = Hold::Polls(1);
            (
                "200 OK",
                format!("<CancelUpdateStackResponse xmlns=\"{NS}\"><ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata></CancelUpdateStackResponse>"),
            )
        }
        "DeleteChangeSet" => ok("DeleteChangeSet", ""),
        other => error("InvalidAction", &format!("the stub does not know {other}")),
    }
}
