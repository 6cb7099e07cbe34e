//! Security-group wiring: who may talk to whom, on exactly which port.
//!
//! A pattern that owns a security group implements [`Connectable`]. A pattern that listens on
//! a port offers `allow_from(scope, &peer)`, which adds one `AWS::EC2::SecurityGroupIngress`
//! for exactly its port, from exactly the peer's security group, with a description. Nothing
//! else opens a port: the database's group has no ingress until `allow_from` is called.
//!
//! Rules are separate resources (not inline in the group), so two groups that allow each
//! other never form a reference cycle.
//!
//! **Names and placement.** A rule between two patterns is named from their full paths,
//! `<target>IngressFrom<peer>` (and `<peer>EgressTo<target>` when the peer restricts its
//! egress): `DbIngressFromWeb`, or `ApiDbIngressFromApiWeb` for patterns under a scope `Api`.
//! It lives at the root of the **peer's** stack when the peer's group is a resource of this
//! app (the consumer's stack already depends on the target's, so the rule never makes a stack
//! cycle), otherwise in the stack of the scope given.

use stackforge::cfn::ec2;
use stackforge::{Handle, Scope, Val};

/// Anything with a security group that can be the source of a connection: a Fargate service,
/// a one-off task, an imported security group.
pub trait Connectable {
    /// The security group's ID.
    fn security_group_id(&self) -> Val<String>;
    /// The name used in rule logical IDs and descriptions: the pattern's full path (e.g.
    /// `Web`, or `ApiWeb` under a scope `Api`).
    fn connection_name(&self) -> &str;
    /// True if the group's outbound traffic is restricted, so every connection it opens also
    /// needs an egress rule.
    /// Default: `false` (all outbound allowed).
    fn restricts_egress(&self) -> bool {
        false
    }
}

/// Adds `<target>IngressFrom<peer>`: ingress on `port`/TCP to `target_group_id` from the
/// peer's security group, with a description naming both ends. When the peer restricts its
/// egress, also adds `<peer>EgressTo<target>` for the same port to the target's group.
/// `target` is the target pattern's full path. See the module docs for where the rules go.
pub fn allow_tcp_from(
    scope: &mut Scope<'_>,
    target: &str,
    target_group_id: Val<String>,
    port: u16,
    peer: &dyn Connectable,
) -> Handle<ec2::SecurityGroupIngress> {
    let peer_id = peer.security_group_id();
    if peer_id.as_literal().is_some_and(|id| id.trim().is_empty()) {
        scope.error(
            crate::codes::INVALID_NETWORK,
            "",
            None,
            format!(
                "`{}` has no security group (a function outside a VPC), so nothing can allow it into `{target}`",
                peer.connection_name()
            ),
            "place it in the VPC (FunctionProps::vpc: Some(VpcPlacement::private(&net)))",
        );
    }
    let mut home = match peer_id.resource_id() {
        Some(id) => scope.home_of(id),
        None => scope.root(),
    };
    let peer_name = peer.connection_name();
    if peer.restricts_egress() {
        let mut out = ec2::SecurityGroupEgress::new(peer_id.clone(), "tcp");
        out.destination_security_group_id = Some(target_group_id.clone());
        out.from_port = Some(i64::from(port).into());
        out.to_port = Some(i64::from(port).into());
        out.description = Some(format!("{peer_name}: TCP {port} to {target} only").into());
        home.add(&format!("{peer_name}EgressTo{target}"), out);
    }
    ingress_within(
        &mut home,
        &format!("{target}IngressFrom{peer_name}"),
        target_group_id,
        peer_id,
        port,
        format!("{target}: TCP {port} from {peer_name} only"),
    )
}

/// Adds one ingress rule with the given id in `scope` (relative naming: for rules between a
/// pattern's own groups, such as its load balancer and its tasks).
pub fn ingress_within(
    scope: &mut Scope<'_>,
    id: &str,
    target_group_id: Val<String>,
    source_group_id: Val<String>,
    port: u16,
    description: String,
) -> Handle<ec2::SecurityGroupIngress> {
    let mut rule = ec2::SecurityGroupIngress::new("tcp");
    rule.group_id = Some(target_group_id);
    rule.source_security_group_id = Some(source_group_id);
    rule.from_port = Some(i64::from(port).into());
    rule.to_port = Some(i64::from(port).into());
    rule.description = Some(description.into());
    scope.add(id, rule)
}
